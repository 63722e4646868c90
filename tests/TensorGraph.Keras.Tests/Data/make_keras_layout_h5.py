# Writes keras_layout_weights.h5 with h5py the way Keras 2.2.4-tf's
# `save_weights_to_hdf5_group` (tensorflow/python/keras/saving/hdf5_format.py, TF 1.15) does for
# Sequential([Dense(4, activation='relu', input_shape=(3,)), Dropout(0.5), Dense(2)]):
# root attrs layer_names/backend/keras_version, one group per layer with `weight_names`, one
# dataset per weight named by the weight. Values are arange-based so a test can assert them.
import h5py
import numpy as np


def save_attributes_to_hdf5_group(group, name, data):
    # hdf5_format.save_attributes_to_hdf5_group without the chunking branch (names are short).
    group.attrs[name] = data


weights = {
    'dense': [('dense/kernel:0', (np.arange(12, dtype='float32') / 10 - 0.5).reshape(3, 4)),
              ('dense/bias:0', np.array([0.1, -0.2, 0.3, 0.0], dtype='float32'))],
    'dropout': [],
    'dense_1': [('dense_1/kernel:0', (np.arange(8, dtype='float32') / 4 - 1).reshape(4, 2)),
                ('dense_1/bias:0', np.array([0.5, -0.5], dtype='float32'))],
}
with h5py.File('keras_layout_weights.h5', 'w') as f:
    save_attributes_to_hdf5_group(f, 'layer_names', [n.encode('utf8') for n in weights])
    f.attrs['backend'] = 'tensorflow'.encode('utf8')
    f.attrs['keras_version'] = '2.2.4-tf'.encode('utf8')
    for layer, ws in weights.items():
        g = f.create_group(layer)
        save_attributes_to_hdf5_group(g, 'weight_names', [n.encode('utf8') for n, _ in ws])
        for n, v in ws:
            d = g.create_dataset(n, v.shape, dtype=v.dtype)
            d[()] = v

# keras_layout_model.h5: the same network as a whole-model file, the way
# `save_model_to_hdf5` writes it (model_config is the JSON of Sequential.get_config() in TF 1.15,
# field for field; no optimizer).
dense_common = {'use_bias': True,
                'kernel_initializer': {'class_name': 'GlorotUniform', 'config': {'seed': None, 'dtype': 'float32'}},
                'bias_initializer': {'class_name': 'Zeros', 'config': {'dtype': 'float32'}},
                'kernel_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None,
                'kernel_constraint': None, 'bias_constraint': None}
model_config = {'class_name': 'Sequential', 'config': {'name': 'sequential', 'layers': [
    {'class_name': 'Dense', 'config': dict({'name': 'dense', 'trainable': True, 'batch_input_shape': [None, 3],
                                            'dtype': 'float32', 'units': 4, 'activation': 'relu'}, **dense_common)},
    {'class_name': 'Dropout', 'config': {'name': 'dropout', 'trainable': True, 'dtype': 'float32', 'rate': 0.5,
                                         'noise_shape': None, 'seed': None}},
    {'class_name': 'Dense', 'config': dict({'name': 'dense_1', 'trainable': True, 'dtype': 'float32', 'units': 2,
                                            'activation': 'softmax'}, **dense_common)},
]}}
import json
with h5py.File('keras_layout_model.h5', 'w') as f:
    f.attrs['keras_version'] = '2.2.4-tf'.encode('utf8')
    f.attrs['backend'] = 'tensorflow'.encode('utf8')
    f.attrs['model_config'] = json.dumps(model_config).encode('utf8')
    mw = f.create_group('model_weights')
    save_attributes_to_hdf5_group(mw, 'layer_names', [n.encode('utf8') for n in weights])
    mw.attrs['backend'] = 'tensorflow'.encode('utf8')
    mw.attrs['keras_version'] = '2.2.4-tf'.encode('utf8')
    for layer, ws in weights.items():
        g = mw.create_group(layer)
        save_attributes_to_hdf5_group(g, 'weight_names', [n.encode('utf8') for n, _ in ws])
        for n, v in ws:
            d = g.create_dataset(n, v.shape, dtype=v.dtype)
            d[()] = v
