package importdecode

import (
	"bytes"
	"os"
	"reflect"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object/convert"

	"k8s.io/apimachinery/pkg/runtime"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
	mcsscheme "sigs.k8s.io/mcs-api/pkg/client/clientset/versioned/scheme"
)

// standardSerializer is what the generated mcs-api clientset decodes with.
var standardSerializer = mcsscheme.Codecs.WithoutConversion()

// embeddedDecoders are the decoders client-go's watch decoder hands a
// watch event's object to (k8s.io/client-go/rest: the client negotiator's
// JSON decoder), the standard one and ours.
func embeddedDecoders(tb testing.TB) (standard, fast runtime.Decoder) {
	tb.Helper()
	gv := mcsv1beta1.SchemeGroupVersion
	standard, err := runtime.NewClientNegotiator(standardSerializer, gv).Decoder(runtime.ContentTypeJSON, nil)
	if err != nil {
		tb.Fatal(err)
	}
	fast, err = runtime.NewClientNegotiator(NewNegotiatedSerializer(standardSerializer), gv).Decoder(runtime.ContentTypeJSON, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return standard, fast
}

// fixture is a ServiceImport as the API server writes it.
func fixture(tb testing.TB) []byte {
	tb.Helper()
	raw, err := os.ReadFile("testdata/serviceimport.json")
	if err != nil {
		tb.Fatal(err)
	}
	return bytes.TrimSpace(raw)
}

// assertEquivalent decodes raw both ways and fails unless both fail or
// both give what the informer's transform turns into the same object.
func assertEquivalent(t *testing.T, standard, fast runtime.Decoder, raw []byte) {
	t.Helper()
	want, wantErr := runtime.Decode(standard, raw)
	got, gotErr := runtime.Decode(fast, raw)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("standard error %v, fast error %v\ninput %q", wantErr, gotErr, raw)
	}
	if wantErr != nil {
		return
	}
	if reflect.TypeOf(want) != reflect.TypeOf(got) {
		t.Fatalf("standard gives %T, fast %T\ninput %q", want, got, raw)
	}
	wantT, wantTErr := convert.TransformServiceImport(want)
	gotT, gotTErr := convert.TransformServiceImport(got)
	if wantTErr != nil || gotTErr != nil {
		// Not a ServiceImport: the fast path must have left it alone.
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("other object differs:\nstandard %#v\nfast     %#v\ninput %q", want, got, raw)
		}
		return
	}
	if !reflect.DeepEqual(wantT, gotT) {
		t.Fatalf("transformed objects differ:\nstandard %#v\nfast     %#v\ninput %q", wantT, gotT, raw)
	}
}
