// Reductions across a workgroup on subgroup operations: lanes.wgsl's functions for devices with
// the `subgroups` feature and WGSL's subgroup_id built-in. Each subgroup combines its values in
// registers, one invocation per subgroup posts the result, and every subgroup combines those: two
// barriers, where the tree in workgroup memory takes one per halving (eight for 256 invocations).

enable subgroups;
requires subgroup_id;

struct Lanes {
  @builtin(local_invocation_index) lid: u32,
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) width: u32,
  @builtin(subgroup_id) group: u32,
  @builtin(num_subgroups) groups: u32,
}

// One slot per subgroup: WORKGROUP_SIZE covers any subgroup size.
var<workgroup> lanes_partial: array<f32, WORKGROUP_SIZE>;

fn subgroup_reduce(v: f32, is_max: bool) -> f32 {
  if (is_max) { return subgroupMax(v); }
  return subgroupAdd(v);
}

// Combines v over the workgroup (`size` is unused here: the subgroups know their number), summing
// or taking the maximum; every invocation gets the result.
fn workgroup_reduce(v: f32, at: Lanes, size: u32, is_max: bool) -> f32 {
  let mine = subgroup_reduce(v, is_max);
  if (subgroupElect()) { lanes_partial[at.group] = mine; }
  workgroupBarrier();
  var t = select(0.0, -3.4028234663852886e38, is_max);
  for (var g = at.lane; g < at.groups; g += at.width) {
    t = select(t + lanes_partial[g], max(t, lanes_partial[g]), is_max);
  }
  t = subgroup_reduce(t, is_max);
  // The slots are free again only once every subgroup has read them.
  workgroupBarrier();
  return t;
}
