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

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> s1: array<f32>;
@group(0) @binding(4) var<storage, read_write> s2: array<f32>;

override DECOUPLED: bool = false;

fn thread_index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

@compute @workgroup_size(256)
fn adam(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (i >= p.n) { return; }
  var w = param[i];
  var g = grad[i];
  if (DECOUPLED) {
    w = w * (1.0 - p.lr * p.weightDecay);
  } else if (p.weightDecay != 0.0) {
    g = g + p.weightDecay * w;
  }
  let m = s1[i] + (g - s1[i]) * (1.0 - p.c0);
  let v = s2[i] * p.c1 + (1.0 - p.c1) * g * g;
  s1[i] = m;
  s2[i] = v;
  let denom = sqrt(v) / p.c4 + p.c2;
  param[i] = w - p.c3 * (m / denom);
}

@compute @workgroup_size(256)
fn sgd(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (i >= p.n) { return; }
  let w = param[i];
  var g = grad[i];
  if (p.weightDecay != 0.0) { g = g + p.weightDecay * w; }
  if (p.c0 != 0.0) {
    var buf: f32;
    if (p.c3 != 0.0) { buf = g; } else { buf = s1[i] * p.c0 + (1.0 - p.c1) * g; }
    s1[i] = buf;
    if (p.c2 != 0.0) { g = g + p.c0 * buf; } else { g = buf; }
  }
  param[i] = w - p.lr * g;
}

@compute @workgroup_size(256)
fn rmsprop(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = thread_index(wid, nwg, lid);
  if (i >= p.n) { return; }
  let w = param[i];
  var g = grad[i];
  if (p.weightDecay != 0.0) { g = g + p.weightDecay * w; }
  let sq = s1[i] * p.c0 + (1.0 - p.c0) * g * g;
  s1[i] = sq;
  let avg = sqrt(sq) + p.c1;
  if (p.c2 != 0.0) {
    let buf = s2[i] * p.c2 + g / avg;
    s2[i] = buf;
    param[i] = w - p.lr * buf;
  } else {
    param[i] = w - p.lr * (g / avg);
  }
}
