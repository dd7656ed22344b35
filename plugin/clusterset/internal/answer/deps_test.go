package answer

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAnswerSideIsPure keeps the answer side free of the API machinery at
// compile time: no dependency, however indirect, on client-go, k8s.io/api
// or mcs-api, and no direct import but the standard library, miekg/dns and
// the types-only package object.
//
// go test puts the go command that runs it first in PATH.
func TestAnswerSideIsPure(t *testing.T) {
	golist := func(format string) []string {
		t.Helper()
		out, err := exec.Command("go", "list", "-f", format, ".").Output()
		if err != nil {
			t.Fatalf("go list: %v", err)
		}
		return strings.Fields(string(out))
	}
	deps := golist(`{{join .Deps " "}}`)
	if len(deps) == 0 {
		t.Fatalf("go list found no dependencies")
	}
	for _, dep := range deps {
		for _, forbidden := range []string{"k8s.io/client-go", "k8s.io/api/", "sigs.k8s.io/mcs-api"} {
			if strings.HasPrefix(dep+"/", forbidden) {
				t.Errorf("package answer depends on %s", dep)
			}
		}
	}
	allowed := map[string]bool{
		"github.com/miekg/dns": true,
		"github.com/clusterset-dns/clusterset/plugin/clusterset/object": true,
	}
	for _, imp := range golist(`{{join .Imports " "}}`) {
		stdlib := !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".")
		if !stdlib && !allowed[imp] {
			t.Errorf("package answer imports %s", imp)
		}
	}
}
