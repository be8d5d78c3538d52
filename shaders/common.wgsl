// Helpers every shader family shares. The backend prepends this file to each family, after the
// constants that src/tensor/kernels.ts defines (WORKGROUP_SIZE, the matmul tiles, the op codes).

// The flat index of a workgroup in a grid that the launch spreads over x and y when it needs more
// than 65535 workgroups (kernels.ts's spread).
fn workgroup_index(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.y * nwg.x + wid.x;
}

// The flat index of an invocation in such a grid of WORKGROUP_SIZE-wide workgroups.
fn thread_index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return workgroup_index(wid, nwg) * WORKGROUP_SIZE + lid;
}

// By its bits: compilers may fold `x != x` to false, since WGSL lets them assume no NaN.
fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}
