package cube

// Simulate applies the plan to plaintext slot vectors (one of 2R values per input
// ciphertext, as Cube.Slots returns) with the same rotations, additions and mask as the
// homomorphic evaluation, modulo t, and returns the output slot vectors. It is the
// plaintext reference of the evaluation, for tests and for anyone checking a plan.
func (p *Plan) Simulate(in [][]uint64, t uint64) [][]uint64 {
	r := p.layout.rowSlots
	rotate := func(v []uint64, k int) []uint64 {
		out := make([]uint64, len(v))
		for row := 0; row < 2; row++ {
			for i := 0; i < r; i++ {
				out[row*r+i] = v[row*r+(i+k)%r]
			}
		}
		return out
	}
	add := func(acc, v []uint64) {
		for i := range acc {
			acc[i] = (acc[i] + v[i]) % t
		}
	}
	outs := make([][]uint64, len(p.Outputs))
	for oi, ob := range p.Outputs {
		acc := make([]uint64, 2*r)
		for _, src := range ob.Sources {
			v := in[src.Block/2]
			if src.Block%2 == 1 {
				v = append(append([]uint64{}, v[r:]...), v[:r]...)
			}
			for _, sh := range src.Shifts {
				add(acc, rotate(v, sh))
			}
		}
		for _, s := range p.Sums {
			next := make([]uint64, 2*r)
			for _, c := range s.Codes {
				add(next, rotate(acc, c*s.Stride))
			}
			acc = next
		}
		out := make([]uint64, 2*r)
		for _, m := range ob.Mask {
			out[m] = acc[m]
		}
		outs[oi] = out
	}
	return outs
}
