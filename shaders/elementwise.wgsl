// Elementwise kernels: `unary` (out = f(a)) and `binary` (out = f(a, b)) over an output of up to
// 8 dimensions. Inputs are read through strides, so broadcasting (stride 0), transposes and
// permutes need no copies; CONTIGUOUS skips the index arithmetic when every operand is dense.

struct Params {
  n: u32,
  rank: u32,
  alpha: f32,
  beta: f32,
  shape: array<vec4u, 2>,
  strideA: array<vec4u, 2>,
  strideB: array<vec4u, 2>,
  offsetA: u32,
  offsetB: u32,
  seed: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

override OP: u32 = 0;
override CONTIGUOUS: bool = false;
// `unary` writes element i through strideB from offsetB instead of at i: the scatter that is the
// gradient of a strided read (an as_strided view's copy), into an output zeroed beforehand.
override SCATTER: bool = false;

fn dim(v: array<vec4u, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

// The flat index into an operand of output element i, through that operand's strides.
fn source(i: u32, strides: array<vec4u, 2>) -> u32 {
  var rem = i;
  var idx = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let size = dim(p.shape, u32(d));
    idx += (rem % size) * dim(strides, u32(d));
    rem /= size;
  }
  return idx;
}

// Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): WGSL has no erf, and GELU is defined with it.
fn erf(x: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(x));
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
  return select(-y, y, x >= 0.0);
}

fn gelu(x: f32) -> f32 {
  return 0.5 * x * (1.0 + erf(x * 0.7071067811865476));
}

fn gelu_grad(x: f32) -> f32 {
  return 0.5 * (1.0 + erf(x * 0.7071067811865476)) + x * 0.3989422804014327 * exp(-0.5 * x * x);
}

// x^e with PyTorch's meaning for negative bases and integer exponents.
fn power(x: f32, e: f32) -> f32 {
  if (e == 0.0) { return 1.0; }
  if (e == 1.0) { return x; }
  if (e == 2.0) { return x * x; }
  if (x >= 0.0) { return pow(x, e); }
  if (fract(e) != 0.0) { return nan(); }
  let m = pow(-x, e);
  return select(m, -m, fract(e * 0.5) != 0.0);
}

// NaN and -infinity built at run time: as constants they are WGSL compile errors.
fn nan() -> f32 {
  return bitcast<f32>(0x7fc00000u | (p.rank & 0u));
}

fn neg_inf() -> f32 {
  return bitcast<f32>(0xff800000u | (p.rank & 0u));
}

// WGSL leaves log and sqrt outside their domain, and tanh's overflow, to the implementation
// (SwiftShader gives log(-1) = 0 and tanh(-100) = NaN), so the edges are spelled out as torch has them.
fn unary_op(x: f32) -> f32 {
  switch OP {
    case UNARY_COPY: { return x; }
    case UNARY_NEG: { return -x; }
    case UNARY_EXP: { return exp(x); }
    case UNARY_LOG: {
      if (x < 0.0) { return nan(); }
      if (x == 0.0) { return neg_inf(); }
      return log(x);
    }
    case UNARY_SQRT: { return select(sqrt(x), nan(), x < 0.0); }
    case UNARY_RELU: { return max(x, 0.0); }
    case UNARY_LEAKY_RELU: { return select(x * p.alpha, x, x > 0.0); }
    // tanh is 1 in float32 from |x| = 9.1 on.
    case UNARY_TANH: { return select(tanh(clamp(x, -15.0, 15.0)), x, is_nan(x)); }
    case UNARY_SIGMOID: { return 1.0 / (1.0 + exp(-x)); }
    case UNARY_GELU: { return gelu(x); }
    case UNARY_POW: { return power(x, p.alpha); }
    case UNARY_AFFINE: { return x * p.alpha + p.beta; }
    case UNARY_ABS: { return abs(x); }
    case UNARY_SIGN: { return sign(x); }
    case UNARY_CLAMP: { return clamp(x, p.alpha, p.beta); }
    case UNARY_INT_TO_FLOAT: { return f32(bitcast<i32>(x)); }
    default: { return x; }
  }
}

// A counter-based random number (PCG hash), so dropout's mask needs no storage: the backward pass
// recomputes it from the same seed and element index.
fn pcg_hash(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// Inverted dropout with drop probability alpha: kept elements are scaled by 1 / (1 - alpha).
fn dropout_op(x: f32, i: u32) -> f32 {
  let u = f32(pcg_hash(i ^ pcg_hash(p.seed)) >> 8u) / 16777216.0;
  return select(0.0, x / (1.0 - p.alpha), u >= p.alpha);
}

fn binary_op(x: f32, y: f32) -> f32 {
  switch OP {
    case BINARY_ADD: { return x + y; }
    case BINARY_SUB: { return x - y; }
    case BINARY_MUL: { return x * y; }
    case BINARY_DIV: { return x / y; }
    // WGSL's max/min may drop a NaN operand; torch.maximum/minimum propagate it (x + y is NaN then).
    case BINARY_MAXIMUM: { return select(max(x, y), x + y, is_nan(x) || is_nan(y)); }
    case BINARY_MINIMUM: { return select(min(x, y), x + y, is_nan(x) || is_nan(y)); }
    case BINARY_POW: { return power(x, y); }
    case BINARY_RELU_GRAD: { return select(0.0, x, y > 0.0); }
    case BINARY_LEAKY_RELU_GRAD: { return select(x * p.alpha, x, y > 0.0); }
    case BINARY_TANH_GRAD: { return x * (1.0 - y * y); }
    case BINARY_SIGMOID_GRAD: { return x * y * (1.0 - y); }
    case BINARY_GELU_GRAD: { return x * gelu_grad(y); }
    case BINARY_EQ: { return select(0.0, 1.0, x == y); }
    case BINARY_GT: { return select(0.0, 1.0, x > y); }
    default: { return x; }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn unary(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (i >= p.n) { return; }
  var x: f32;
  if (CONTIGUOUS) { x = a[p.offsetA + i]; } else { x = a[p.offsetA + source(i, p.strideA)]; }
  var y: f32;
  if (OP == UNARY_DROPOUT) { y = dropout_op(x, i); } else { y = unary_op(x); }
  if (SCATTER) { out[p.offsetB + source(i, p.strideB)] = y; } else { out[i] = y; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn binary(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (i >= p.n) { return; }
  if (CONTIGUOUS) {
    out[i] = binary_op(a[p.offsetA + i], b[p.offsetB + i]);
  } else {
    out[i] = binary_op(a[p.offsetA + source(i, p.strideA)], b[p.offsetB + source(i, p.strideB)]);
  }
}

struct FillParams {
  n: u32,
  value: f32,
}

@group(0) @binding(0) var<uniform> fp: FillParams;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn fill(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (i >= fp.n) { return; }
  dst[i] = fp.value;
}
