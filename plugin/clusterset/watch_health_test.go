package clusterset

import (
	"errors"
	"io"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestWatchErrorsAreCountedUnlessRoutine(t *testing.T) {
	var h watchHealth
	handle := h.errorHandler("serviceimports.multicluster.x-k8s.io")
	counter := watchErrors.WithLabelValues("serviceimports.multicluster.x-k8s.io")
	before := testutil.ToFloat64(counter)

	handle(t.Context(), nil, io.EOF)
	handle(t.Context(), nil, apierrors.NewResourceExpired("too old"))
	if got := testutil.ToFloat64(counter) - before; got != 0 {
		t.Errorf("routine watch ends counted %v times", got)
	}
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "multicluster.x-k8s.io", Resource: "serviceimports"}, "", errors.New("no RBAC"))
	handle(t.Context(), nil, forbidden)
	handle(t.Context(), nil, forbidden)
	if got := testutil.ToFloat64(counter) - before; got != 2 {
		t.Errorf("watch_errors_total grew by %v, want 2", got)
	}
	if got := h.logged["serviceimports.multicluster.x-k8s.io"].msg; got == "" {
		t.Errorf("the forbidden error was not logged")
	}
}

func TestAPIReachableFollowsTheProbe(t *testing.T) {
	var h watchHealth
	h.report(nil)
	if testutil.ToFloat64(apiReachable) != 1 {
		t.Errorf("api_reachable = 0 after an answer")
	}
	h.report(errors.New("connection refused"))
	if testutil.ToFloat64(apiReachable) != 0 || !h.down {
		t.Errorf("api_reachable = 1 after a failed probe")
	}
	h.report(nil)
	if testutil.ToFloat64(apiReachable) != 1 || h.down {
		t.Errorf("api_reachable = 0 after the server answers again")
	}
}
