#!/usr/bin/env python3
# mkcorpus.py: writes the hostile-input corpus (tests/hostile/{onnx,npy,pb,encodings,config}) by
# hand-encoding the protobuf wire format, .npy headers and JSON/YAML; standard library only.
# `mkcorpus.py DIR` rewrites the committed corpus; `mkcorpus.py --big DIR` writes the large
# files the suite generates at run time instead of committing them.
import os
import struct
import sys


def varint(v):
    v &= (1 << 64) - 1          # negative int64 values are ten-byte varints, as protobuf does
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wt):
    return varint((field << 3) | wt)


def vi(field, v):
    return key(field, 0) + varint(v)


def ld(field, data):
    if isinstance(data, str):
        data = data.encode()
    return key(field, 2) + varint(len(data)) + data


def f32(field, x):
    return key(field, 5) + struct.pack('<f', x)


FLOAT, INT64, STRING = 1, 7, 8


def tensor(name, dims, dtype=FLOAT, raw=None, floats=None, ext=None, extra=b''):
    b = b''.join(vi(1, d) for d in dims) + vi(2, dtype)
    if floats is not None:
        b += ld(4, b''.join(struct.pack('<f', x) for x in floats))
    b += ld(8, name)
    if raw is not None:
        b += ld(9, raw)
    if ext is not None:
        for k, v in ext:
            b += ld(13, ld(1, k) + ld(2, v))
        b += vi(14, 1)
    return b + extra


def dim(d):
    return ld(1, vi(1, d) if isinstance(d, int) else ld(2, d))


def vinfo(name, dims, dtype=FLOAT):
    shape = b''.join(dim(d) for d in dims)
    return ld(1, name) + ld(2, ld(1, vi(1, dtype) + ld(2, shape)))


def attr_i(name, v):
    return ld(1, name) + vi(3, v) + vi(20, 2)


def attr_ints(name, vs):
    return ld(1, name) + b''.join(vi(8, v) for v in vs) + vi(20, 7)


def attr_g(name, g):
    return ld(1, name) + ld(6, g) + vi(20, 5)


def node(op, ins, outs, name='', attrs=(), domain=None):
    b = b''.join(ld(1, i) for i in ins) + b''.join(ld(2, o) for o in outs)
    if name:
        b += ld(3, name)
    b += ld(4, op)
    b += b''.join(ld(5, a) for a in attrs)
    if domain is not None:
        b += ld(7, domain)
    return b


def graph(nodes, inits=(), inputs=(), outputs=(), name='g', vinfos=()):
    return (b''.join(ld(1, n) for n in nodes) + ld(2, name) +
            b''.join(ld(5, t) for t in inits) + b''.join(ld(11, v) for v in inputs) +
            b''.join(ld(12, v) for v in outputs) + b''.join(ld(13, v) for v in vinfos))


def model(g, opsets=(('', 13),), ir=8):
    return (vi(1, ir) + ld(2, 'hostile') +
            b''.join(ld(8, (ld(1, d) if d else b'') + vi(2, v)) for d, v in opsets) + ld(7, g))


W = struct.pack('<12f', *[0.1 * i - 0.5 for i in range(12)])
B = struct.pack('<3f', 0.1, -0.2, 0.3)


def base_graph(nodes=None, inits=None, inputs=None, outputs=None):
    """Y = X @ W + B, X [N,4] (N symbolic), W [4,3], B [3]."""
    if nodes is None:
        nodes = [node('MatMul', ['X', 'W'], ['T'], 'mm'), node('Add', ['T', 'B'], ['Y'], 'add')]
    if inits is None:
        inits = [tensor('W', [4, 3], raw=W), tensor('B', [3], raw=B)]
    if inputs is None:
        inputs = [vinfo('X', ['N', 4])]
    if outputs is None:
        outputs = [vinfo('Y', ['N', 3])]
    return graph(nodes, inits, inputs, outputs)


def base_model(**kw):
    return model(base_graph(**kw))


def npy(header, data=b'', magic=b'\x93NUMPY', version=(1, 0), hlen=None):
    h = header.encode('latin1') if isinstance(header, str) else header
    pre = len(magic) + 2 + (2 if version[0] == 1 else 4)
    pad = (-(pre + len(h) + 1)) % 64
    h = h + b' ' * pad + b'\n'
    n = len(h) if hlen is None else hlen
    lenf = struct.pack('<H', n) if version[0] == 1 else struct.pack('<I', n)
    return magic + bytes(version) + lenf + h + data


def write(d, name, data):
    os.makedirs(os.path.dirname(os.path.join(d, name)), exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data.encode() if isinstance(data, str) else data)


def onnx_cases(d):
    good = base_model()
    write(d, '../good/model.onnx', good)
    c = {}
    # truncations, all inside the graph (the graph field comes last)
    gstart = good.index(b'\x3a')           # field 7, wire type 2
    for i, cut in enumerate([1, 3, gstart + 1, gstart + 5, gstart + 40, len(good) // 2,
                             len(good) - 30, len(good) - 1]):
        c['trunc_%d.onnx' % i] = good[:cut]
    # bit flips that break structure: wire types turned into 6/7 (invalid), and lengths grown
    gb = bytearray(good)
    gb[0] = 0x0F                           # field 1, wire type 7
    c['flip_wiretype.onnx'] = bytes(gb)
    gb = bytearray(good)
    gb[gstart + 1] |= 0x40                 # graph length grows past the end
    c['flip_graphlen.onnx'] = bytes(gb)
    gb = bytearray(good)
    i = good.index(b'MatMul')
    gb[i - 1] ^= 0x20                      # op_type length runs into the next field
    c['flip_oplen.onnx'] = bytes(gb)
    gb = bytearray(good)
    gb[gstart + 2] = 0xFF                  # varint of a length that never ends
    c['flip_varint.onnx'] = bytes(gb[:gstart + 2]) + b'\xff' * 11
    c['empty.onnx'] = b''
    c['garbage.onnx'] = bytes(range(256)) * 4
    c['not_onnx_text.onnx'] = b'this is not a model\n'
    c['no_graph.onnx'] = vi(1, 8) + ld(8, vi(2, 13))
    # dims
    c['dims_overflow_size.onnx'] = base_model(inits=[tensor('W', [1 << 62, 1 << 62], raw=W), tensor('B', [3], raw=B)])
    c['dims_wrap_to_zero.onnx'] = base_model(inits=[tensor('W', [1 << 32, 1 << 32], raw=b''), tensor('B', [3], raw=B)])
    c['dims_wrap_bytes.onnx'] = base_model(inits=[tensor('W', [1 << 31, 1 << 31], raw=W), tensor('B', [3], raw=B)])
    c['dims_int64_max.onnx'] = base_model(inits=[tensor('W', [(1 << 63) - 1], raw=W), tensor('B', [3], raw=B)])
    c['dims_negative.onnx'] = base_model(inits=[tensor('W', [-4, 3], raw=W), tensor('B', [3], raw=B)])
    c['dims_negative_pair.onnx'] = base_model(inits=[tensor('W', [-4, -3], raw=W), tensor('B', [3], raw=B)])
    c['dims_zero.onnx'] = base_model(inits=[tensor('W', [0, 3], raw=W), tensor('B', [3], raw=B)])
    c['dims_too_many.onnx'] = base_model(inits=[tensor('W', [1] * 40 + [4, 3], raw=W), tensor('B', [3], raw=B)])
    c['input_dims_huge.onnx'] = base_model(inputs=[vinfo('X', [1 << 40, 4])])
    c['raw_short.onnx'] = base_model(inits=[tensor('W', [4, 3], raw=W[:20]), tensor('B', [3], raw=B)])
    c['raw_long.onnx'] = base_model(inits=[tensor('W', [4, 3], raw=W + W), tensor('B', [3], raw=B)])
    c['float_data_short.onnx'] = base_model(inits=[tensor('W', [4, 3], floats=[1.0, 2.0]), tensor('B', [3], raw=B)])
    c['no_data.onnx'] = base_model(inits=[tensor('W', [4, 3]), tensor('B', [3], raw=B)])
    c['dtype_unknown.onnx'] = base_model(inits=[tensor('W', [4, 3], dtype=999, raw=W), tensor('B', [3], raw=B)])
    c['dtype_string_weight.onnx'] = base_model(inits=[tensor('W', [4, 3], dtype=STRING), tensor('B', [3], raw=B)])
    # external data
    def ext(loc, off=None, length=None):
        e = [('location', loc)]
        if off is not None:
            e.append(('offset', off))
        if length is not None:
            e.append(('length', length))
        return base_model(inits=[tensor('W', [4, 3], ext=e), tensor('B', [3], raw=B)])
    c['ext_absolute.onnx'] = ext('/etc/passwd')
    c['ext_dotdot.onnx'] = ext('../../../../../../etc/passwd')
    c['ext_dotdot_inner.onnx'] = ext('sub/../../outside.bin')
    c['ext_dev_zero.onnx'] = ext('/dev/zero')
    c['ext_proc.onnx'] = ext('/proc/self/mem', '4096', '48')
    c['ext_missing.onnx'] = ext('does_not_exist.bin')
    c['ext_no_location.onnx'] = base_model(inits=[tensor('W', [4, 3], ext=[('offset', '0')]), tensor('B', [3], raw=B)])
    c['ext_empty_location.onnx'] = ext('')
    c['ext_self_offset_huge.onnx'] = ext('ext_self_offset_huge.onnx', '18446744073709551615', '48')
    c['ext_length_huge.onnx'] = ext('ext_length_huge.onnx', '0', '9223372036854775807')
    c['ext_offset_negative.onnx'] = ext('ext_offset_negative.onnx', '-16', '48')
    c['ext_offset_garbage.onnx'] = ext('ext_offset_garbage.onnx', '12abc', '48')
    c['ext_dir.onnx'] = ext('.')
    # the suite creates these beside a copy of the model: a symlink leading out, a FIFO, a
    # directory, /dev/zero reached through a link
    c['ext_symlink_out.onnx'] = ext('link_out.bin')
    c['ext_fifo.onnx'] = ext('fifo.bin')
    c['ext_link_zero.onnx'] = ext('link_zero.bin')
    # graph structure
    c['cycle.onnx'] = base_model(nodes=[node('Add', ['X', 'C2'], ['C1'], 'a'), node('Relu', ['C1'], ['C2'], 'b'),
                                        node('MatMul', ['C2', 'W'], ['T'], 'mm'), node('Add', ['T', 'B'], ['Y'], 'add')])
    c['self_loop.onnx'] = base_model(nodes=[node('MatMul', ['X', 'W'], ['T'], 'mm'), node('Add', ['T', 'Y'], ['Y'], 'add')])
    c['undefined_input.onnx'] = base_model(nodes=[node('MatMul', ['X', 'nope'], ['T'], 'mm'), node('Add', ['T', 'B'], ['Y'], 'add')])
    c['missing_weight.onnx'] = base_model(inits=[tensor('B', [3], raw=B)])
    c['output_not_produced.onnx'] = base_model(outputs=[vinfo('ghost', ['N', 3])])
    c['no_outputs.onnx'] = base_model(outputs=[])
    c['dup_output.onnx'] = base_model(nodes=[node('MatMul', ['X', 'W'], ['T'], 'mm'), node('Relu', ['X'], ['T'], 'r'),
                                             node('Add', ['T', 'B'], ['Y'], 'add')])
    c['dup_initializer.onnx'] = base_model(inits=[tensor('W', [4, 3], raw=W), tensor('W', [3], raw=B), tensor('B', [3], raw=B)])
    c['dup_input.onnx'] = base_model(inputs=[vinfo('X', ['N', 4]), vinfo('X', ['N', 4])])
    c['input_is_output_of_node.onnx'] = base_model(nodes=[node('Relu', ['W'], ['X'], 'r'), node('MatMul', ['X', 'W'], ['T'], 'mm'),
                                                          node('Add', ['T', 'B'], ['Y'], 'add')])
    c['unknown_op.onnx'] = base_model(nodes=[node('MatMul', ['X', 'W'], ['T'], 'mm'), node('FooBarBaz', ['T', 'B'], ['Y'], 'add')])
    c['unknown_domain.onnx'] = model(base_graph(nodes=[node('MatMul', ['X', 'W'], ['T'], 'mm', domain='com.evil'),
                                                        node('Add', ['T', 'B'], ['Y'], 'add')]), opsets=(('', 13), ('com.evil', 1)))
    c['opset_huge.onnx'] = model(base_graph(), opsets=(('', 99999),))
    c['opset_zero.onnx'] = model(base_graph(), opsets=(('', 0),))
    c['opset_negative.onnx'] = model(base_graph(), opsets=(('', -5),))
    c['opset_missing.onnx'] = model(base_graph(), opsets=())
    c['too_many_inputs.onnx'] = base_model(nodes=[node('MatMul', ['X', 'W', 'B', 'B'], ['T'], 'mm'), node('Add', ['T', 'B'], ['Y'], 'add')])
    c['too_few_inputs.onnx'] = base_model(nodes=[node('MatMul', ['X'], ['T'], 'mm'), node('Add', ['T', 'B'], ['Y'], 'add')])
    c['empty_names.onnx'] = base_model(nodes=[node('MatMul', ['X', 'W'], [''], 'mm'), node('Add', ['', 'B'], ['Y'], 'add')])
    c['shape_mismatch.onnx'] = base_model(inits=[tensor('W', [3, 4], raw=W), tensor('B', [3], raw=B)])
    c['transpose_bad_perm.onnx'] = base_model(nodes=[node('Transpose', ['X'], ['XT'], 't', [attr_ints('perm', [0, 0])]),
                                                     node('MatMul', ['XT', 'W'], ['T'], 'mm'), node('Add', ['T', 'B'], ['Y'], 'add')])
    c['concat_axis_huge.onnx'] = base_model(nodes=[node('Concat', ['X', 'X'], ['XC'], 'c', [attr_i('axis', 1 << 40)]),
                                                   node('MatMul', ['XC', 'W'], ['T'], 'mm'), node('Add', ['T', 'B'], ['Y'], 'add')])
    c['reshape_bad.onnx'] = base_model(nodes=[node('Reshape', ['X', 'S'], ['XR'], 'r'), node('MatMul', ['XR', 'W'], ['T'], 'mm'),
                                              node('Add', ['T', 'B'], ['Y'], 'add')],
                                       inits=[tensor('W', [4, 3], raw=W), tensor('B', [3], raw=B),
                                              tensor('S', [3], dtype=INT64, raw=struct.pack('<3q', -1, -1, 4))])
    c['expand_huge.onnx'] = base_model(nodes=[node('Expand', ['X', 'S'], ['XE'], 'e'), node('MatMul', ['XE', 'W'], ['T'], 'mm'),
                                              node('Add', ['T', 'B'], ['Y'], 'add')],
                                       inits=[tensor('W', [4, 3], raw=W), tensor('B', [3], raw=B),
                                              tensor('S', [3], dtype=INT64, raw=struct.pack('<3q', 1 << 40, 1 << 40, 4))])
    c['conv_kernel_too_big.onnx'] = base_model(nodes=[node('Conv', ['X', 'K'], ['Y'], 'conv')],
                                               inits=[tensor('K', [3, 4, 9], raw=b'\0' * 4 * 108)], outputs=[vinfo('Y', ['N', 3, 1])])
    c['attr_no_type.onnx'] = base_model(nodes=[node('Transpose', ['X'], ['XT'], 't', [ld(1, 'perm')]),
                                               node('MatMul', ['XT', 'W'], ['T'], 'mm'), node('Add', ['T', 'B'], ['Y'], 'add')])
    # huge strings are made at run time (--big); a length field claiming 2^62 bytes is here
    c['string_len_huge.onnx'] = vi(1, 8) + key(2, 2) + varint(1 << 62) + b'abc'
    c['nested_if.onnx'] = nested_if(2000)
    for k, v in c.items():
        write(d, k, v)


def nested_if(depth):
    """If nodes nested `depth` deep through then_branch (a stack-depth bomb for recursive
    parsers); the innermost branch is empty."""
    g = graph([], outputs=[vinfo('Z', [1])], name='b')
    for _ in range(depth):
        g = graph([node('If', ['X'], ['Z'], '', [attr_g('then_branch', g), attr_g('else_branch', g[:0] or graph([], name='e'))])],
                  outputs=[vinfo('Z', [1])], name='b')
    return model(graph([node('If', ['X'], ['Y'], 'if', [attr_g('then_branch', g)])], inputs=[vinfo('X', [1], 9)],
                       outputs=[vinfo('Y', [1])]))


def npy_cases(d):
    f = struct.pack('<8f', *range(8))
    c = {}
    c['bad_magic.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", f, magic=b'\x93NUMPX')
    c['zip_magic.npy'] = b'PK\x03\x04' + b'\0' * 60
    c['empty.npy'] = b''
    c['magic_only.npy'] = b'\x93NUMPY'
    c['version_9.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", f, version=(9, 0))
    c['header_len_past_end.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", b'', hlen=60000)
    c['header_len_v2_huge.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", f, version=(2, 0), hlen=0xFFFFFFF0)
    c['header_not_dict.npy'] = npy("[1, 2, 3]", f)
    c['header_unterminated.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4", f)
    c['header_nul.npy'] = npy("{'descr': '<f4'\0, 'fortran_order': False, 'shape': (2, 4), }", f)
    c['missing_shape.npy'] = npy("{'descr': '<f4', 'fortran_order': False, }", f)
    c['missing_descr.npy'] = npy("{'fortran_order': False, 'shape': (2, 4), }", f)
    c['object_dtype.npy'] = npy("{'descr': '|O', 'fortran_order': False, 'shape': (2, 4), }", b'\0' * 64)
    c['complex_dtype.npy'] = npy("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 4), }", f + f)
    c['unicode_dtype.npy'] = npy("{'descr': '<U4', 'fortran_order': False, 'shape': (2, 4), }", b'\0' * 128)
    c['struct_dtype.npy'] = npy("{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, 'shape': (2, 2), }", f)
    c['dtype_f128.npy'] = npy("{'descr': '<f16', 'fortran_order': False, 'shape': (2, 4), }", f * 4)
    c['dtype_garbage.npy'] = npy("{'descr': 'zz9', 'fortran_order': False, 'shape': (2, 4), }", f)
    c['fortran.npy'] = npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 4), }", f)
    c['fortran_garbage.npy'] = npy("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 4), }", f)
    c['shape_absurd.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }", f)
    c['shape_wrap_zero.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }", f)
    c['shape_huge_rows.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 4), }", f)
    c['shape_bigger_than_int64.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 4), }", f)
    c['shape_negative.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 4), }", f)
    c['shape_many_dims.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % ('1, ' * 64), f)
    c['shape_not_tuple.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': 'big', }", f)
    c['short_data.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", f[:20])
    c['no_data.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", b'')
    c['wrong_row_size.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 5), }", f + f[:8])
    c['header_huge_string.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), 'x': '%s'}" % ('A' * 60000), f)
    c['header_nested.npy'] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': %s2, 4%s, }" % ('(' * 5000, ')' * 5000), f)
    for k, v in c.items():
        write(d, k, v)


def pb_cases(d):
    f8 = struct.pack('<8f', *range(8))
    c = {}
    good = tensor('X', [2, 4], raw=f8)
    write(d, '../good/x.pb', good)
    c['trunc.pb'] = good[:len(good) - 5]
    c['dims_overflow.pb'] = tensor('X', [1 << 62, 1 << 62], raw=f8)
    c['dims_wrap.pb'] = tensor('X', [1 << 32, 1 << 32, 4], raw=f8)
    c['dims_negative.pb'] = tensor('X', [-2, 4], raw=f8)
    c['raw_short.pb'] = tensor('X', [2, 4], raw=f8[:12])
    c['float_data_short.pb'] = tensor('X', [2, 4], floats=[1.0])
    c['dtype_unknown.pb'] = tensor('X', [2, 4], dtype=12345, raw=f8)
    c['string.pb'] = tensor('X', [2], dtype=STRING, extra=ld(6, 'a') + ld(6, 'b'))
    c['external.pb'] = tensor('X', [2, 4], ext=[('location', '/etc/passwd')])
    c['wiretype7.pb'] = b'\x0f' + good
    c['garbage.pb'] = b'\xff' * 64
    for k, v in c.items():
        write(d, k, v)


def enc_cases(d):
    def v1(param='', act=''):
        return ('{"version": "1.0.0", "activation_encodings": [%s], "param_encodings": [%s], '
                '"quantizer_args": {}, "excluded_layers": []}' % (act, param))

    def p(name='W', scale='0.01', offset='-128', bw='8', sym='"True"', dtype='"int"'):
        return ('{"name": "%s", "dtype": %s, "bw": %s, "is_sym": %s, "enc_type": "PER_TENSOR", '
                '"scale": [%s], "offset": [%s]}' % (name, dtype, bw, sym, scale, offset))
    c = {}
    c['scale_nan.encodings'] = v1(p(scale='NaN'))
    c['scale_inf.encodings'] = v1(p(scale='Infinity'))
    c['scale_1e400.encodings'] = v1(p(scale='1e400'))
    c['scale_zero.encodings'] = v1(p(scale='0.0'))
    c['scale_negative.encodings'] = v1(p(scale='-0.5'))
    c['scale_denormal_f32_zero.encodings'] = v1(p(scale='1e-50'))
    c['bw_0.encodings'] = v1(p(bw='0'))
    c['bw_64.encodings'] = v1(p(bw='64'))
    c['bw_negative.encodings'] = v1(p(bw='-8'))
    c['bw_float.encodings'] = v1(p(bw='8.5'))
    c['bw_huge.encodings'] = v1(p(bw='1e300'))
    c['offset_positive.encodings'] = v1(p(offset='5'))
    c['offset_too_low.encodings'] = v1(p(offset='-100000'))
    c['offset_huge.encodings'] = v1(p(offset='-99999999999999999999999'))
    c['sym_bad_offset.encodings'] = v1(p(offset='-7'))
    c['wrong_types.encodings'] = v1(p(scale='"big"'))
    c['channels_mismatch.encodings'] = v1(
        '{"name": "W", "dtype": "int", "bw": 8, "is_sym": "True", "enc_type": "PER_CHANNEL", '
        '"scale": [0.1, 0.1, 0.1, 0.1, 0.1], "offset": [-128, -128, -128, -128, -128]}')
    c['channels_empty.encodings'] = v1(
        '{"name": "W", "dtype": "int", "bw": 8, "is_sym": "True", "enc_type": "PER_CHANNEL", '
        '"scale": [], "offset": []}')
    c['scale_offset_len_differ.encodings'] = v1(
        '{"name": "W", "dtype": "int", "bw": 8, "is_sym": "True", "enc_type": "PER_CHANNEL", '
        '"scale": [0.1, 0.1, 0.1], "offset": [-128]}')
    c['name_not_in_model.encodings'] = v1(p(name='no_such_tensor'))
    c['act_is_weight_name_wrong.encodings'] = v1(act=p(name='ghost_act'))
    c['dup_names.encodings'] = v1(p() + ', ' + p())
    c['empty_name.encodings'] = v1(p(name=''))
    c['version_unknown.encodings'] = '{"version": "9.9.9", "activation_encodings": [], "param_encodings": []}'
    c['not_object.encodings'] = '[1, 2, 3]'
    c['empty.encodings'] = ''
    c['truncated.encodings'] = v1(p())[:-20]
    c['deep_arrays.encodings'] = '[' * 20000 + ']' * 20000
    c['deep_objects.encodings'] = '{"a":' * 20000 + '1' + '}' * 20000
    c['deep_in_quantizer_args.encodings'] = ('{"version": "1.0.0", "activation_encodings": [], "param_encodings": [], '
                                             '"quantizer_args": ' + '[' * 20000 + ']' * 20000 + '}')
    c['bad_utf8.encodings'] = v1(p(name='W\xff\xfe'))
    c['nul_in_name.encodings'] = v1(p(name='W\\u0000x'))
    c['v061_bad.encodings'] = ('{"activation_encodings": {}, "param_encodings": {"W": [{"bitwidth": 0, "scale": 0.1, '
                               '"offset": -128, "min": -1, "max": 1, "is_symmetric": "False"}]}}')
    c['v061_not_list.encodings'] = '{"activation_encodings": {}, "param_encodings": {"W": 5}}'
    c['v2_bad_axis.encodings'] = ('{"version": "2.0.0", "encodings": [{"name": "W", "output_dtype": "int8", '
                                  '"y_scale": [0.1, 0.1, 0.1], "y_zero_point": [0, 0, 0], "axis": 99}]}')
    c['v2_bad_dtype.encodings'] = ('{"version": "2.0.0", "encodings": [{"name": "W", "output_dtype": "int128", '
                                   '"y_scale": 0.1, "y_zero_point": 0}]}')
    c['v2_not_list.encodings'] = '{"version": "2.0.0", "encodings": "W"}'
    for k, v in c.items():
        write(d, k, v.encode('latin1') if '\xff' in v else v)


def config_cases(d):
    c = {}
    good = ('{"defaults": {"ops": {"is_output_quantized": "True"}, "params": {"is_quantized": "True"}}, '
            '"params": {}, "op_type": {}, "supergroups": [], "model_input": {"is_input_quantized": "True"}, '
            '"model_output": {}}')
    write(d, '../good/config.json', good)
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord('a') + i - 1), chr(ord('a') + i)
        bomb.append('%s: &%s [%s]' % (cur, cur, ','.join(['*' + prev] * 9)))
    bomb.append('defaults: {ops: {is_output_quantized: "True"}, params: {is_quantized: "True"}}')
    c['alias_bomb.yaml'] = '\n'.join(bomb) + '\n'
    c['alias_simple.yaml'] = 'x: &x {is_quantized: "True"}\ndefaults: {ops: {}, params: *x}\n'
    c['deep_flow.yaml'] = '[' * 20000 + ']' * 20000
    c['deep_block.yaml'] = ''.join('  ' * i + 'k:\n' for i in range(300))
    c['deep_json.json'] = '{"defaults": ' + '[' * 20000 + ']' * 20000 + '}'
    c['deep_json_objects.json'] = '{"a":' * 20000 + '1' + '}' * 20000
    c['python_tag.yaml'] = 'defaults: !!python/object/apply:os.system ["true"]\n'
    c['bad_yaml.yaml'] = 'defaults: {ops: [\n  - : : :\n'
    c['tabs.yaml'] = 'defaults:\n\tops: {}\n'
    c['bad_bool.json'] = good.replace('"is_output_quantized": "True"', '"is_output_quantized": "Maybe"')
    c['defaults_not_object.json'] = '{"defaults": 5, "params": {}, "op_type": {}}'
    c['op_type_not_object.json'] = good.replace('"op_type": {}', '"op_type": [1, 2]')
    c['supergroups_bad.json'] = good.replace('"supergroups": []', '"supergroups": [{"op_list": 5}]')
    c['truncated.json'] = good[:len(good) // 2]
    c['not_object.json'] = '"just a string"'
    c['empty.yaml'] = ''
    c['binary.yaml'] = bytes(range(256)).decode('latin1')
    c['huge_int.yaml'] = 'defaults: {ops: {is_output_quantized: 99999999999999999999999999999}}\n'
    # found by fuzz_qconfig: a params entry that is not an object leaked the names before it
    c['params_entry_not_object.json'] = '{"params": {"weight": {"is_quantized": "True"}, "bias": 5}}'
    c['params_entry_bad_bool.json'] = '{"params": {"weight": {"is_quantized": "Maybe"}}}'
    for k, v in c.items():
        write(d, k, v.encode('latin1'))


def big_cases(d):
    """Larger files made at test time rather than committed."""
    huge = 'N' * (8 << 20)
    write(d, 'huge_node_name.onnx', base_model(nodes=[node('MatMul', ['X', 'W'], ['T'], huge),
                                                       node('FooBar', ['T', 'B'], ['Y'], 'add')]))
    write(d, 'huge_op_type.onnx', base_model(nodes=[node('MatMul', ['X', 'W'], ['T'], 'mm'), node(huge, ['T', 'B'], ['Y'], 'add')]))
    write(d, 'many_nodes_undefined.onnx', base_model(
        nodes=[node('Relu', ['X'], ['r%d' % i], '') for i in range(200000)] + [node('Add', ['nope', 'B'], ['Y'], 'add')]))
    write(d, 'huge_header.npy', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), 'pad': '%s'}" % ('A' * (16 << 20)),
                                    b'\0' * 32, version=(2, 0)))
    write(d, 'huge_name.encodings', '{"version": "1.0.0", "activation_encodings": [], "param_encodings": [{"name": "%s", '
          '"dtype": "int", "bw": 8, "is_sym": "True", "enc_type": "PER_TENSOR", "scale": [0.1], "offset": [-128]}]}' % huge)
    write(d, 'nested_if_deep.onnx', nested_if(6000))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == '--ext-model':
        # --ext-model OUT.onnx NBYTES COPIES: COPIES float tensors of NBYTES each, all naming
        # the first NBYTES of 'big.bin' beside the model
        n, k = int(sys.argv[3]) // 4, int(sys.argv[4])
        inits = [tensor('E%d' % i, [n], ext=[('location', 'big.bin'), ('offset', '0'), ('length', str(4 * n))])
                 for i in range(k)]
        with open(sys.argv[2], 'wb') as f:
            f.write(base_model(inits=[tensor('W', [4, 3], raw=W), tensor('B', [3], raw=B)] + inits))
        return
    if len(sys.argv) == 3 and sys.argv[1] == '--big':
        big_cases(sys.argv[2])
        return
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..')
    onnx_cases(os.path.join(top, 'onnx'))
    npy_cases(os.path.join(top, 'npy'))
    pb_cases(os.path.join(top, 'pb'))
    enc_cases(os.path.join(top, 'encodings'))
    config_cases(os.path.join(top, 'config'))
    write(os.path.join(top, 'good'), 'x.npy', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }",
                                                  struct.pack('<8f', *[0.5 * i for i in range(8)])))


main()
