package answer

import "testing"

func TestRegionOfZone(t *testing.T) {
	l := Locality{Region: "us-east-1"}
	for zone, want := range map[string]bool{
		"us-east-1a": true, "US-East-1b": true, "us-east-1": true, "us-east-1-wl1-bos-wlz-1": true,
		"us-east-10a": false, "us-east-2a": false, "eu-west-1a": false, "": false, "us-east": false,
	} {
		if got := l.inRegion(zone); got != want {
			t.Errorf("inRegion(%q) = %v, want %v", zone, got, want)
		}
	}
	if (&Locality{}).inRegion("us-east-1a") {
		t.Errorf("an unknown region holds a zone")
	}
}
