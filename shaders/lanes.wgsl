// Reductions across a workgroup, by a tree in workgroup memory: the version for devices without
// subgroups. lanes_subgroups.wgsl has the same functions on subgroup operations. The backend puts
// one of the two ahead of each shader family that reduces across a workgroup (norm, softmax, histogram); their
// entry points take `at: Lanes` for the invocation's place in the workgroup.

struct Lanes {
  @builtin(local_invocation_index) lid: u32,
}

var<workgroup> lanes_scratch: array<f32, WORKGROUP_SIZE>;

// Combines v over the workgroup of `size` invocations (a power of two up to WORKGROUP_SIZE), summing or
// taking the maximum; every invocation gets the result.
fn workgroup_reduce(v: f32, at: Lanes, size: u32, is_max: bool) -> f32 {
  lanes_scratch[at.lid] = v;
  workgroupBarrier();
  for (var s = size / 2u; s > 0u; s >>= 1u) {
    if (at.lid < s) {
      let a = lanes_scratch[at.lid];
      let b = lanes_scratch[at.lid + s];
      lanes_scratch[at.lid] = select(a + b, max(a, b), is_max);
    }
    workgroupBarrier();
  }
  let r = lanes_scratch[0];
  workgroupBarrier();
  return r;
}
