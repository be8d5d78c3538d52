// Optimizer updates, in place, with PyTorch's formulas and operation order (torch.optim's
// single-tensor implementations), so a step matches PyTorch to float32 rounding.

struct Params {
  n: u32,
  lr: f32,
  weightDecay: f32,
  // Adam/AdamW: beta1, beta2, eps, lr / (1 - beta1^t), sqrt(1 - beta2^t) (both computed in double). SGD: momentum, dampening,
  // nesterov (0/1), first step (0/1). RMSprop: alpha, eps, momentum.
  c0: f32,
  c1: f32,
  c2: f32,
  c3: f32,
  c4: f32,
}

// Each invocation updates four elements as one vec4: on CPU adapters a vec4 load costs about twice
// a scalar one, so this halves the cost per element. Storage is pooled in multiples of 16 bytes, so
// the last vec4 exists; its elements past n are loaded but written back unchanged.
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> param: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> s1: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> s2: array<vec4f>;

override DECOUPLED: bool = false;

fn thread_index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

/** Which of vec4 i's elements are below n. */
fn live(i: u32) -> vec4<bool> {
  return vec4u(4u * i) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.n);
}

@compute @workgroup_size(256)
fn adam(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (4u * i >= p.n) { return; }
  let on = live(i);
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
  let m = m0 + (g - m0) * (1.0 - p.c0);
  let v = v0 * p.c1 + (1.0 - p.c1) * g * g;
  s1[i] = select(m0, m, on);
  s2[i] = select(v0, v, on);
  let denom = sqrt(v) / p.c4 + p.c2;
  param[i] = select(w0, w - p.c3 * (m / denom), on);
}

@compute @workgroup_size(256)
fn sgd(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (4u * i >= p.n) { return; }
  let on = live(i);
  let w = param[i];
  var g = grad[i];
  if (p.weightDecay != 0.0) { g = g + p.weightDecay * w; }
  if (p.c0 != 0.0) {
    let b0 = s1[i];
    var buf: vec4f;
    if (p.c3 != 0.0) { buf = g; } else { buf = b0 * p.c0 + (1.0 - p.c1) * g; }
    s1[i] = select(b0, buf, on);
    if (p.c2 != 0.0) { g = g + p.c0 * buf; } else { g = buf; }
  }
  param[i] = select(w, w - p.lr * g, on);
}

@compute @workgroup_size(256)
fn rmsprop(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (4u * i >= p.n) { return; }
  let on = live(i);
  let w = param[i];
  var g = grad[i];
  if (p.weightDecay != 0.0) { g = g + p.weightDecay * w; }
  let sq0 = s1[i];
  let sq = sq0 * p.c0 + (1.0 - p.c0) * g * g;
  s1[i] = select(sq0, sq, on);
  let avg = sqrt(sq) + p.c1;
  if (p.c2 != 0.0) {
    let b0 = s2[i];
    let buf = b0 * p.c2 + g / avg;
    s2[i] = select(b0, buf, on);
    param[i] = select(w, w - p.lr * buf, on);
  } else {
    param[i] = select(w, w - p.lr * (g / avg), on);
  }
}
