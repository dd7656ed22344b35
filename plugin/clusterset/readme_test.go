package clusterset

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"
)

// TestReadmeExamples parses every Corefile example of README.md and runs
// this plugin's parser on each clusterset directive in it, so that the
// documentation cannot drift from the syntax.
func TestReadmeExamples(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatalf("reading README.md: %v", err)
	}
	examples := corefileBlocks(string(readme))
	if len(examples) < 3 {
		t.Fatalf("found %d Corefile examples in README.md, want at least 3", len(examples))
	}
	for i, example := range examples {
		blocks, err := caddyfile.Parse("README.md", strings.NewReader(example), nil)
		if err != nil {
			t.Errorf("example %d does not parse: %v\n%s", i+1, err, example)
			continue
		}
		found := false
		for _, sb := range blocks {
			tokens, ok := sb.Tokens[pluginName]
			if !ok {
				continue
			}
			found = true
			c := caddy.NewTestController("dns", tokensToText(tokens))
			c.ServerBlockKeys = sb.Keys
			if _, err := parse(c); err != nil {
				t.Errorf("example %d: %v\n%s", i+1, err, example)
			}
		}
		if !found {
			t.Errorf("example %d has no clusterset directive:\n%s", i+1, example)
		}
	}
}

// corefileBlocks returns the bodies of the ~~~ corefile fences of a
// CoreDNS-style README.
func corefileBlocks(readme string) []string {
	var blocks []string
	var cur []string
	in := false
	for line := range strings.SplitSeq(readme, "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "~~~ corefile":
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "~~~":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n"))
		case in:
			cur = append(cur, line)
		}
	}
	return blocks
}

// tokensToText puts a directive's tokens back on their lines.
func tokensToText(tokens []caddyfile.Token) string {
	lines := map[int][]string{}
	for _, tok := range tokens {
		lines[tok.Line] = append(lines[tok.Line], tok.Text)
	}
	nums := make([]int, 0, len(lines))
	for n := range lines {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var b strings.Builder
	for _, n := range nums {
		b.WriteString(strings.Join(lines[n], " "))
		b.WriteByte('\n')
	}
	return b.String()
}
