package datasets

import (
	"context"
	"slices"
)

// mergeChunks numbers the levels of a Categorical column across its row
// groups, in row-group order, rewrites the chunk codes in codes (the file's
// rows) to the merged numbering and returns the level strings.
func (j *parquetJob) mergeChunks(ctx context.Context, p *colPlan, chunks []chunkResult, codes []int32, par int) ([]string, error) {
	remaps := make([][]int32, len(chunks))
	var levels []string
	if p.phys.isBytes() {
		g := newStrCoder()
		for rg, ch := range chunks {
			remaps[rg] = make([]int32, len(ch.strs.keys))
			for x, k := range ch.strs.keys {
				remaps[rg][x] = g.codeString(k)
			}
		}
		levels = g.keys
	} else {
		g := newIntCoder(denseLimit(p.phys, j.rows()))
		keys, sparse := 0, false
		for _, ch := range chunks {
			keys += len(ch.ints.keys)
			sparse = sparse || ch.ints.m != nil
		}
		if sparse { // a map at once, sized for every key
			g.m = make(map[int64]int32, keys)
		}
		g.keys = make([]int64, 0, keys)
		for rg, ch := range chunks {
			remaps[rg] = remapInts(ch.ints, g)
		}
		levels = g.levels(p.phys)
		if p.phys.scale != 0 {
			// Decimals past 2^53 can print alike: one level each.
			levels = foldLevels(levels, remaps)
		}
	}
	err := forEach(ctx, len(chunks), par, func(rg int) error {
		applyRemap(codes[j.starts[rg]:j.starts[rg+1]], remaps[rg])
		return nil
	})
	if err != nil {
		return nil, err
	}
	return levels, nil
}

// foldLevels gives equal level strings one code: it rewrites the codes in
// remaps and returns the distinct levels, in order of first occurrence.
func foldLevels(levels []string, remaps [][]int32) []string {
	var s levelSet
	s.m = make(map[string]int32, len(levels))
	fold := s.remap(levels)
	if fold == nil || isIdentity(fold) {
		return levels
	}
	for _, r := range remaps {
		for x, y := range r {
			r[x] = fold[y]
		}
	}
	return s.levels
}

// remapInts numbers the keys of a chunk's coder in the coder g and returns
// the new code of each old code.
func remapInts(c, g *intCoder) []int32 {
	remap := make([]int32, len(c.keys))
	for x, k := range c.keys {
		if int32(x) == c.null {
			remap[x] = g.nullCode()
		} else {
			remap[x] = g.code(k)
		}
	}
	return remap
}

// applyRemap replaces every code x in codes by remap[x], unless remap is the
// identity.
func applyRemap(codes, remap []int32) {
	if isIdentity(remap) {
		return
	}
	for i, x := range codes {
		codes[i] = remap[x]
	}
}

// isIdentity reports whether remap[x] == x for every x.
func isIdentity(remap []int32) bool {
	for x, y := range remap {
		if int32(x) != y {
			return false
		}
	}
	return true
}

// levelSet numbers level strings across files in order of first occurrence.
type levelSet struct {
	m      map[string]int32 // nil until a second file (or when set up by the caller)
	levels []string
}

// remap numbers the levels of one file and returns the new code of each of
// the file's codes: nil, the identity, for the first file, whose levels
// are distinct (a file's levels are).
func (s *levelSet) remap(levels []string) []int32 {
	if s.m == nil {
		if len(s.levels) == 0 {
			s.levels = slices.Clip(levels) // appended to on a later file: copied then
			return nil
		}
		s.m = make(map[string]int32, 2*len(s.levels))
		for x, l := range s.levels {
			s.m[l] = int32(x)
		}
	}
	remap := make([]int32, len(levels))
	for x, l := range levels {
		y, ok := s.m[l]
		if !ok {
			y = int32(len(s.levels))
			s.levels = append(s.levels, l)
			s.m[l] = y
		}
		remap[x] = y
	}
	return remap
}
