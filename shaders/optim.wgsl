// Optimizer updates, in place, with PyTorch's formulas and operation order (torch.optim's
// single-tensor implementations), so a step matches PyTorch to float32 rounding.

// Each kernel's params: the elements to update, the learning rate, weight decay, then its own.
struct AdamParams {
  n: u32,
  lr: f32,
  weightDecay: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  // lr / (1 - beta1^t) and sqrt(1 - beta2^t), computed in double on the host as torch does.
  stepSize: f32,
  biasCorrection2Sqrt: f32,
}

struct SgdParams {
  n: u32,
  lr: f32,
  weightDecay: f32,
  momentum: f32,
  dampening: f32,
  nesterov: u32,
  // 1 on the first step, which starts the momentum buffer from the gradient.
  firstStep: u32,
}

struct RmspropParams {
  n: u32,
  lr: f32,
  weightDecay: f32,
  alpha: f32,
  eps: f32,
  momentum: f32,
}

// Each invocation updates four elements as one vec4: on CPU adapters a vec4 load costs about twice
// a scalar one, so this halves the cost per element. Storage is pooled in multiples of 16 bytes, so
// the last vec4 exists; its elements past n are loaded but written back unchanged.
// One binding, a struct per kernel (an entry point uses only its own).
@group(0) @binding(0) var<uniform> adam_params: AdamParams;
@group(0) @binding(0) var<uniform> sgd_params: SgdParams;
@group(0) @binding(0) var<uniform> rmsprop_params: RmspropParams;
@group(0) @binding(1) var<storage, read> grad: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> param: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> s1: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> s2: array<vec4f>;

override DECOUPLED: bool = false;

/** Which of vec4 i's elements are below n. */
fn live(i: u32, n: u32) -> vec4<bool> {
  return vec4u(4u * i) + vec4u(0u, 1u, 2u, 3u) < vec4u(n);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adam(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let p = adam_params;
  let i = thread_index(wid, nwg, lid);
  if (4u * i >= p.n) { return; }
  let on = live(i, p.n);
  let w0 = param[i];
  var w = w0;
  var g = grad[i];
  if (DECOUPLED) {
    w = w * (1.0 - p.lr * p.weightDecay);
  } else if (p.weightDecay != 0.0) {
    g = g + p.weightDecay * w;
  }
  let m0 = s1[i];
  let v0 = s2[i];
  let m = m0 + (g - m0) * (1.0 - p.beta1);
  let v = v0 * p.beta2 + (1.0 - p.beta2) * g * g;
  s1[i] = select(m0, m, on);
  s2[i] = select(v0, v, on);
  let denom = sqrt(v) / p.biasCorrection2Sqrt + p.eps;
  param[i] = select(w0, w - p.stepSize * (m / denom), on);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sgd(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let p = sgd_params;
  let i = thread_index(wid, nwg, lid);
  if (4u * i >= p.n) { return; }
  let on = live(i, p.n);
  let w = param[i];
  var g = grad[i];
  if (p.weightDecay != 0.0) { g = g + p.weightDecay * w; }
  if (p.momentum != 0.0) {
    let b0 = s1[i];
    var buf: vec4f;
    if (p.firstStep != 0u) { buf = g; } else { buf = b0 * p.momentum + (1.0 - p.dampening) * g; }
    s1[i] = select(b0, buf, on);
    if (p.nesterov != 0u) { g = g + p.momentum * buf; } else { g = buf; }
  }
  param[i] = select(w, w - p.lr * g, on);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rmsprop(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let p = rmsprop_params;
  let i = thread_index(wid, nwg, lid);
  if (4u * i >= p.n) { return; }
  let on = live(i, p.n);
  let w = param[i];
  var g = grad[i];
  if (p.weightDecay != 0.0) { g = g + p.weightDecay * w; }
  let sq0 = s1[i];
  let sq = sq0 * p.alpha + (1.0 - p.alpha) * g * g;
  s1[i] = select(sq0, sq, on);
  let avg = sqrt(sq) + p.eps;
  if (p.momentum != 0.0) {
    let b0 = s2[i];
    let buf = b0 * p.momentum + g / avg;
    s2[i] = select(b0, buf, on);
    param[i] = select(w, w - p.lr * buf, on);
  } else {
    param[i] = select(w, w - p.lr * (g / avg), on);
  }
}
