package nodeimage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// epoch is every archive entry's modification time and the image's creation
// time: fixed, so that the same files give the same digests.
var epoch = time.Unix(0, 0).UTC()

// File is one entry of an image's root filesystem. Exactly one of Data,
// Source and Link says what it holds; a File with none of them and
// fs.ModeDir in Mode is a directory. Parent directories are added as 0755
// when not listed. Every entry is owned by 0:0.
type File struct {
	// Path is the absolute path in the image, e.g. /bin/busybox.
	Path string
	// Mode is the permission bits, plus fs.ModeDir for a directory; the
	// type of a Link entry is implied.
	Mode fs.FileMode
	// Data is the content of a regular file.
	Data []byte
	// Source is a host file whose content (read when the archive is
	// written, following symlinks) is that of a regular file.
	Source string
	// Link makes the entry a symbolic link to this target.
	Link string
}

// Config is the part of the image config that the runtime reads (the
// "config" object of the image JSON).
type Config struct {
	Entrypoint []string
	Cmd        []string
	// User is "uid[:gid]"; numeric, so that runAsNonRoot can check it.
	User       string
	Env        []string
	WorkingDir string
}

// Image is a one-layer image.
type Image struct {
	// Tag is the archive's RepoTag, e.g. PauseImage.
	Tag    string
	Config Config
	Files  []File
}

// Errors of WriteArchive for an Image it cannot represent.
var (
	ErrNoTag         = errors.New("nodeimage: image has no tag")
	ErrBadPath       = errors.New("nodeimage: file path is not absolute and clean")
	ErrDuplicatePath = errors.New("nodeimage: file path listed twice")
	ErrFileKind      = errors.New("nodeimage: file must have exactly one of Data, Source, Link, or be a directory")
)

// The docker-archive layout (Docker's image specification v1.2, as written
// by `docker save`): manifest.json lists, per image, its config file, its
// RepoTags and its layer tars, in order.
type archiveManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// imageJSON is the image config file (OCI image-spec config.md; Docker's is
// the same document).
type imageJSON struct {
	Architecture string      `json:"architecture"`
	OS           string      `json:"os"`
	Created      time.Time   `json:"created"`
	Config       imageConfig `json:"config"`
	RootFS       rootFS      `json:"rootfs"`
	History      []history   `json:"history"`
}

type imageConfig struct {
	User       string   `json:"User,omitempty"`
	Env        []string `json:"Env,omitempty"`
	Entrypoint []string `json:"Entrypoint,omitempty"`
	Cmd        []string `json:"Cmd,omitempty"`
	WorkingDir string   `json:"WorkingDir,omitempty"`
}

type rootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

type history struct {
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
}

// WriteArchiveFile writes img as a docker-archive to path (replaced if it
// exists) and returns the image ID, "sha256:" and the config's digest.
func WriteArchiveFile(path string, img Image) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name()) //nolint:errcheck // gone after the rename
	id, err := WriteArchive(f, img)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return "", err
	}
	return id, nil
}

// WriteArchive writes img as a docker-archive to w and returns the image ID
// ("sha256:" and the config's digest). The layer is an uncompressed tar, so
// its digest is also its diff ID.
func WriteArchive(w io.Writer, img Image) (string, error) {
	if img.Tag == "" {
		return "", ErrNoTag
	}
	layer, err := layerTar(img.Files)
	if err != nil {
		return "", err
	}
	layerDigest := sha256.Sum256(layer)
	diffID := "sha256:" + hex.EncodeToString(layerDigest[:])
	config, err := json.Marshal(imageJSON{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Created:      epoch,
		Config: imageConfig{
			User:       img.Config.User,
			Env:        img.Config.Env,
			Entrypoint: img.Config.Entrypoint,
			Cmd:        img.Config.Cmd,
			WorkingDir: img.Config.WorkingDir,
		},
		RootFS:  rootFS{Type: "layers", DiffIDs: []string{diffID}},
		History: []history{{Created: epoch, CreatedBy: "clusterset test/nodeimage"}},
	})
	if err != nil {
		return "", err
	}
	configDigest := sha256.Sum256(config)
	configName := hex.EncodeToString(configDigest[:]) + ".json"
	layerName := hex.EncodeToString(layerDigest[:]) + "/layer.tar"
	manifest, err := json.Marshal([]archiveManifest{{
		Config:   configName,
		RepoTags: []string{img.Tag},
		Layers:   []string{layerName},
	}})
	if err != nil {
		return "", err
	}

	tw := tar.NewWriter(w)
	for _, e := range []struct {
		name string
		data []byte
	}{
		{configName, config},
		{layerName, layer},
		{"manifest.json", manifest},
	} {
		if dir := path.Dir(e.name); dir != "." {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
				return "", err
			}
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: 0o644, Size: int64(len(e.data)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return "", err
		}
		if _, err := tw.Write(e.data); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(configDigest[:]), nil
}

// layerTar is the root filesystem as one tar, entries sorted by path with
// every parent directory before its children.
func layerTar(files []File) ([]byte, error) {
	byPath := make(map[string]File, len(files))
	for _, f := range files {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || f.Path == "/" {
			return nil, fmt.Errorf("%w: %q", ErrBadPath, f.Path)
		}
		kinds := 0
		for _, set := range []bool{f.Data != nil, f.Source != "", f.Link != "", f.Mode.IsDir()} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			return nil, fmt.Errorf("%w: %s", ErrFileKind, f.Path)
		}
		if _, dup := byPath[f.Path]; dup {
			return nil, fmt.Errorf("%w: %s", ErrDuplicatePath, f.Path)
		}
		byPath[f.Path] = f
	}
	for _, f := range files {
		for dir := path.Dir(f.Path); dir != "/"; dir = path.Dir(dir) {
			if d, ok := byPath[dir]; ok {
				if !d.Mode.IsDir() {
					return nil, fmt.Errorf("%w: %s is a parent of %s but not a directory", ErrFileKind, dir, f.Path)
				}
				continue
			}
			byPath[dir] = File{Path: dir, Mode: fs.ModeDir | 0o755}
		}
	}
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	// Component-wise order puts a directory right before its contents.
	slices.SortFunc(paths, func(a, b string) int {
		return slices.Compare(strings.Split(a, "/"), strings.Split(b, "/"))
	})

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		f := byPath[p]
		hdr := &tar.Header{
			Name:    strings.TrimPrefix(p, "/"),
			Mode:    tarMode(f.Mode),
			ModTime: epoch,
			Format:  tar.FormatPAX,
		}
		var data []byte
		switch {
		case f.Mode.IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
		case f.Link != "":
			hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, f.Link, 0o777
		case f.Source != "":
			b, err := os.ReadFile(f.Source)
			if err != nil {
				return nil, fmt.Errorf("nodeimage: %s: %w", f.Path, err)
			}
			data = b
		default:
			data = f.Data
		}
		if hdr.Typeflag == 0 {
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// tarMode is the tar header's mode field (POSIX ustar: permission bits and
// the set-ID and sticky bits).
func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}
