#!/usr/bin/env pwsh
<#
.SYNOPSIS
    One entry point for building, testing, benchmarking, packing and running the examples of
    TensorGraph. Works in PowerShell 7+ on Windows, Linux and macOS and calls only `dotnet`.

.PARAMETER Target
    build     (default) build the whole solution
    test      run every test project (dotnet test Graph.sln)
    bench     run the benchmark harness in Release; extra arguments name the benchmarks
    pack      pack src/TensorGraph, src/TensorGraph.Datasets and the tensorgraph tool (src/TensorGraph.Cli) into ./artifacts (Release unless -Configuration is given)
    examples  run every project under examples/

.PARAMETER Configuration
    Debug (default) or Release. Benchmarks always run in Release.

.PARAMETER Arguments
    Everything else is passed on: benchmark names for 'bench', extra dotnet options otherwise
    (put options that start with '-' after '--', e.g. ./build.ps1 test -- --filter Name~Shape).

.EXAMPLE
    ./build.ps1
    ./build.ps1 -Target test -Configuration Release
    ./build.ps1 bench overhead
    ./build.ps1 pack
#>
[CmdletBinding(PositionalBinding = $false)]
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'bench', 'pack', 'examples')]
    [string] $Target = 'build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug',

    [Parameter(ValueFromRemainingArguments = $true)]
    [string[]] $Arguments = @()
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# A failing dotnet is reported through its exit code, not as a PowerShell error.
$PSNativeCommandUseErrorActionPreference = $false

$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

# Runs dotnet with the given arguments and returns its exit code. Its output goes to the host,
# so the only value this function returns is the exit code.
function Invoke-Dotnet([string[]] $DotnetArgs) {
    Write-Host "> dotnet $($DotnetArgs -join ' ')"
    & dotnet @DotnetArgs | Out-Host
    return $LASTEXITCODE
}

$root = $PSScriptRoot
$solution = Join-Path $root 'Graph.sln'
$extra = @($Arguments | Where-Object { $_ })
$code = 0

Push-Location $root
try {
    switch ($Target) {
        'build' {
            $code = Invoke-Dotnet (@('build', $solution, '-c', $Configuration) + $extra)
        }
        'test' {
            $code = Invoke-Dotnet (@('test', $solution, '-c', $Configuration) + $extra)
        }
        'bench' {
            $project = Join-Path $root 'tests/TensorGraph.Benchmarks'
            $code = Invoke-Dotnet (@('run', '-c', 'Release', '--project', $project, '--') + $extra)
        }
        'pack' {
            $config = if ($PSBoundParameters.ContainsKey('Configuration')) { $Configuration } else { 'Release' }
            $output = Join-Path $root 'artifacts'
            $code = 0
            foreach ($project in @((Join-Path $root 'src/TensorGraph/TensorGraph.csproj'), (Join-Path $root 'src/TensorGraph.Datasets/TensorGraph.Datasets.csproj'), (Join-Path $root 'src/TensorGraph.Cli/TensorGraph.Cli.csproj'), (Join-Path $root 'src/TensorGraph.Keras/TensorGraph.Keras.csproj'), (Join-Path $root 'src/TensorGraph.Distributed/TensorGraph.Distributed.csproj'))) {
                $code = Invoke-Dotnet (@('pack', $project, '-c', $config, '-o', $output) + $extra)
                if ($code -ne 0) { break }
            }
        }
        'examples' {
            $projects = @(Get-ChildItem -Path (Join-Path $root 'examples') -Filter '*.csproj' -Recurse | Sort-Object FullName)
            if ($projects.Count -eq 0) {
                Write-Host 'No example projects found under examples/.'
            }
            foreach ($p in $projects) {
                Write-Host "=== $($p.Directory.Name)"
                $code = Invoke-Dotnet (@('run', '-c', $Configuration, '--project', $p.FullName) + $extra)
                if ($code -ne 0) { break }
            }
        }
    }
}
finally {
    Pop-Location
}

exit $code
