package nodeimage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// parsedArchive is a docker-archive read back: its entries by name, its
// manifest, and the one image's config and layer entries.
type parsedArchive struct {
	entries  map[string][]byte
	manifest []archiveManifest
	config   imageJSON
	layer    []layerEntry
}

type layerEntry struct {
	hdr  *tar.Header
	data []byte
}

func readTar(t *testing.T, r io.Reader) ([]*tar.Header, map[string][]byte) {
	t.Helper()
	var hdrs []*tar.Header
	data := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return hdrs, data
		}
		if err != nil {
			t.Fatalf("reading tar: %v", err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading %s: %v", hdr.Name, err)
		}
		hdrs = append(hdrs, hdr)
		data[hdr.Name] = b
	}
}

// parseArchive checks the archive's structure as an importer reads it: the
// manifest names a config whose file name is its digest, and layers whose
// digests are the config's diff IDs.
func parseArchive(t *testing.T, archive []byte) parsedArchive {
	t.Helper()
	var p parsedArchive
	_, p.entries = readTar(t, bytes.NewReader(archive))
	if err := json.Unmarshal(p.entries["manifest.json"], &p.manifest); err != nil {
		t.Fatalf("manifest.json: %v\n%s", err, p.entries["manifest.json"])
	}
	if len(p.manifest) != 1 {
		t.Fatalf("manifest.json lists %d images, want 1", len(p.manifest))
	}
	m := p.manifest[0]
	config, ok := p.entries[m.Config]
	if !ok {
		t.Fatalf("manifest's config %q is not in the archive", m.Config)
	}
	sum := sha256.Sum256(config)
	if want := hex.EncodeToString(sum[:]) + ".json"; m.Config != want {
		t.Errorf("config file %q, want its digest %q", m.Config, want)
	}
	if err := json.Unmarshal(config, &p.config); err != nil {
		t.Fatalf("config: %v\n%s", err, config)
	}
	if len(m.Layers) != 1 || len(p.config.RootFS.DiffIDs) != 1 {
		t.Fatalf("layers %q, diff IDs %q: want one of each", m.Layers, p.config.RootFS.DiffIDs)
	}
	layer, ok := p.entries[m.Layers[0]]
	if !ok {
		t.Fatalf("manifest's layer %q is not in the archive", m.Layers[0])
	}
	lsum := sha256.Sum256(layer)
	if want := "sha256:" + hex.EncodeToString(lsum[:]); p.config.RootFS.DiffIDs[0] != want {
		t.Errorf("diff ID %s, want the layer's digest %s", p.config.RootFS.DiffIDs[0], want)
	}
	if want := hex.EncodeToString(lsum[:]) + "/layer.tar"; m.Layers[0] != want {
		t.Errorf("layer file %q, want %q", m.Layers[0], want)
	}
	if p.config.RootFS.Type != "layers" || p.config.OS != "linux" || p.config.Architecture == "" {
		t.Errorf("config rootfs type %q, os %q, architecture %q", p.config.RootFS.Type, p.config.OS, p.config.Architecture)
	}
	hdrs, data := readTar(t, bytes.NewReader(layer))
	for _, h := range hdrs {
		p.layer = append(p.layer, layerEntry{hdr: h, data: data[h.Name]})
	}
	return p
}

func TestArchiveFormat(t *testing.T) {
	src := filepath.Join(t.TempDir(), "source")
	if err := os.WriteFile(src, []byte("from the host\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	img := Image{
		Tag: "localhost/clusterset-test/format:1",
		Config: Config{
			Entrypoint: []string{"/bin/tool"},
			Cmd:        []string{"-x", "y"},
			User:       "1000:1000",
			Env:        []string{"PATH=/bin", "A=b"},
			WorkingDir: "/work",
		},
		Files: []File{
			{Path: "/usr/lib/deep/file", Mode: 0o644, Data: []byte("deep")},
			{Path: "/bin/tool", Mode: 0o755, Source: src},
			{Path: "/bin/alias", Link: "tool"},
			{Path: "/tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
			{Path: "/etc/empty", Mode: 0o600, Data: []byte{}},
		},
	}
	var buf bytes.Buffer
	id, err := WriteArchive(&buf, img)
	if err != nil {
		t.Fatal(err)
	}
	p := parseArchive(t, buf.Bytes())
	if got := p.manifest[0].RepoTags; !slices.Equal(got, []string{img.Tag}) {
		t.Errorf("RepoTags %q, want [%s]", got, img.Tag)
	}
	if want := "sha256:" + strings.TrimSuffix(p.manifest[0].Config, ".json"); id != want {
		t.Errorf("returned image ID %s, want the config digest %s", id, want)
	}
	c := p.config.Config
	if !slices.Equal(c.Entrypoint, img.Config.Entrypoint) || !slices.Equal(c.Cmd, img.Config.Cmd) ||
		c.User != img.Config.User || !slices.Equal(c.Env, img.Config.Env) || c.WorkingDir != img.Config.WorkingDir {
		t.Errorf("config %+v, want %+v", c, img.Config)
	}

	type entry struct {
		name     string
		typ      byte
		mode     int64
		linkname string
		data     string
	}
	want := []entry{
		{"bin/", tar.TypeDir, 0o755, "", ""},
		{"bin/alias", tar.TypeSymlink, 0o777, "tool", ""},
		{"bin/tool", tar.TypeReg, 0o755, "", "from the host\n"},
		{"etc/", tar.TypeDir, 0o755, "", ""},
		{"etc/empty", tar.TypeReg, 0o600, "", ""},
		{"tmp/", tar.TypeDir, 0o1777, "", ""},
		{"usr/", tar.TypeDir, 0o755, "", ""},
		{"usr/lib/", tar.TypeDir, 0o755, "", ""},
		{"usr/lib/deep/", tar.TypeDir, 0o755, "", ""},
		{"usr/lib/deep/file", tar.TypeReg, 0o644, "", "deep"},
	}
	var got []entry
	for _, e := range p.layer {
		got = append(got, entry{e.hdr.Name, e.hdr.Typeflag, e.hdr.Mode, e.hdr.Linkname, string(e.data)})
		if e.hdr.Uid != 0 || e.hdr.Gid != 0 || !e.hdr.ModTime.Equal(epoch) {
			t.Errorf("%s: owner %d:%d, mtime %v; want 0:0 and %v", e.hdr.Name, e.hdr.Uid, e.hdr.Gid, e.hdr.ModTime, epoch)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("layer entries:\n got %+v\nwant %+v", got, want)
	}

	// Deterministic: the same inputs, written again (from a shuffled file
	// list), give the same bytes, hence the same digests.
	slices.Reverse(img.Files)
	var again bytes.Buffer
	id2, err := WriteArchive(&again, img)
	if err != nil {
		t.Fatal(err)
	}
	if id2 != id || !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Errorf("second write differs: image ID %s then %s, archives equal %v", id, id2, bytes.Equal(again.Bytes(), buf.Bytes()))
	}
	// ...and a changed file changes the layer and the ID.
	if err := os.WriteFile(src, []byte("changed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var changed bytes.Buffer
	id3, err := WriteArchive(&changed, img)
	if err != nil {
		t.Fatal(err)
	}
	if id3 == id {
		t.Errorf("image ID %s unchanged after a source file changed", id)
	}

	// WriteArchiveFile writes the same archive, and returns the same ID.
	file := filepath.Join(t.TempDir(), "img.tar")
	if fileID, err := WriteArchiveFile(file, img); err != nil || fileID != id3 {
		t.Fatalf("WriteArchiveFile: ID %s, error %v; want %s", fileID, err, id3)
	}
	onDisk, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, changed.Bytes()) {
		t.Errorf("WriteArchiveFile wrote %d bytes that differ from WriteArchive's %d", len(onDisk), changed.Len())
	}
}

func TestArchiveRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		img  Image
		want error
	}{
		{"no tag", Image{Files: []File{{Path: "/a", Data: []byte("x")}}}, ErrNoTag},
		{"relative path", Image{Tag: "t", Files: []File{{Path: "a", Data: []byte("x")}}}, ErrBadPath},
		{"unclean path", Image{Tag: "t", Files: []File{{Path: "/a/../b", Data: []byte("x")}}}, ErrBadPath},
		{"root", Image{Tag: "t", Files: []File{{Path: "/", Mode: fs.ModeDir | 0o755}}}, ErrBadPath},
		{"twice", Image{Tag: "t", Files: []File{{Path: "/a", Data: []byte("x")}, {Path: "/a", Link: "b"}}}, ErrDuplicatePath},
		{"nothing", Image{Tag: "t", Files: []File{{Path: "/a", Mode: 0o644}}}, ErrFileKind},
		{"two kinds", Image{Tag: "t", Files: []File{{Path: "/a", Data: []byte("x"), Link: "b"}}}, ErrFileKind},
		{"file as parent", Image{Tag: "t", Files: []File{{Path: "/a", Data: []byte("x")}, {Path: "/a/b", Data: []byte("y")}}}, ErrFileKind},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := WriteArchive(io.Discard, tc.img); !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := WriteArchive(io.Discard, Image{Tag: "t", Files: []File{{Path: "/a", Source: "/nonexistent/nodeimage"}}}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing source: error %v, want not exist", err)
	}
}

func TestParseLdd(t *testing.T) {
	out := []byte("\tlinux-vdso.so.1 (0x00007ffd)\n" +
		"\tlibisc.so => /lib/x86_64-linux-gnu/libisc.so (0x00007f36)\n" +
		"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f36)\n" +
		"\t/lib64/ld-linux-x86-64.so.2 (0x00007f36)\n")
	libs, err := parseLdd(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/lib/x86_64-linux-gnu/libisc.so", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}; !slices.Equal(libs, want) {
		t.Errorf("parseLdd: %q, want %q", libs, want)
	}
	if _, err := parseLdd([]byte("\tlibgone.so.1 => not found\n")); err == nil || !strings.Contains(err.Error(), "libgone.so.1") {
		t.Errorf("a missing library: error %v, want one naming libgone.so.1", err)
	}
}
