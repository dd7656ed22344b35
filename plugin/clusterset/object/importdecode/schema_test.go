package importdecode

import (
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	mcsv1alpha1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// The tables of schema.go must list every JSON field of the Go types with
// the shape of its Go type: a field missing from a table would be skipped
// unchecked, and a wrong value in it would then pass where the standard
// decoder fails.
func TestSchemaMatchesGoTypes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields []field
		goType any
	}{
		{"v1beta1 ServiceImport", topFields, mcsv1beta1.ServiceImport{}},
		{"v1alpha1 ServiceImport", topFields, mcsv1alpha1.ServiceImport{}},
		{"ObjectMeta", metaFields, metav1.ObjectMeta{}},
		{"v1beta1 spec", specFields, mcsv1beta1.ServiceImportSpec{}},
		{"v1alpha1 spec", specFields, mcsv1alpha1.ServiceImportSpec{}},
		{"v1beta1 port", portFields, mcsv1beta1.ServicePort{}},
		{"v1alpha1 port", portFields, mcsv1alpha1.ServicePort{}},
		{"v1beta1 status", statusFields, mcsv1beta1.ServiceImportStatus{}},
		{"v1alpha1 status", statusFields, mcsv1alpha1.ServiceImportStatus{}},
	} {
		t.Run(tc.name, func(t *testing.T) { assertSchema(t, tc.fields, reflect.TypeOf(tc.goType)) })
	}
}

// assertSchema compares fields with the JSON fields of typ, down into the
// structs the tables describe.
func assertSchema(t *testing.T, fields []field, typ reflect.Type) {
	t.Helper()
	goFields := jsonFields(typ)
	if len(goFields) != len(fields) {
		t.Errorf("%s has %d JSON fields, the table %d", typ, len(goFields), len(fields))
	}
	for _, f := range fields {
		ft, ok := goFields[f.name]
		if !ok {
			t.Errorf("%s has no JSON field %q", typ, f.name)
			continue
		}
		if f.shape == kept {
			continue
		}
		if want := shapeOf(ft); want != f.shape {
			t.Errorf("%s.%s is %s, shape %d in the table, want %d", typ, f.name, ft, f.shape, want)
		}
		if f.shape == structVal || f.shape == structList {
			assertSchema(t, f.elem, structType(ft))
		}
	}
}

// jsonFields maps the JSON names of typ's fields to their types, with the
// fields of inlined structs (TypeMeta) in place, as encoding/json does.
func jsonFields(typ reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range typ.NumField() {
		sf := typ.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" || !sf.IsExported() {
			continue
		}
		if sf.Anonymous && name == "" {
			for k, v := range jsonFields(sf.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out[name] = sf.Type
	}
	return out
}

var (
	timeType   = reflect.TypeOf(metav1.Time{})
	fieldsType = reflect.TypeOf(metav1.FieldsV1{})
)

// shapeOf is the shape encoding/json gives a Go type.
func shapeOf(typ reflect.Type) shape {
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch {
	case typ == timeType:
		return timeVal
	case typ == fieldsType:
		return anyValue
	}
	switch typ.Kind() {
	case reflect.String:
		return stringVal
	case reflect.Int32:
		return int32Val
	case reflect.Int64:
		return int64Val
	case reflect.Bool:
		return boolVal
	case reflect.Struct:
		return structVal
	case reflect.Map:
		if typ.Key().Kind() == reflect.String && typ.Elem().Kind() == reflect.String {
			return stringMap
		}
	case reflect.Slice:
		switch typ.Elem().Kind() {
		case reflect.String:
			return stringList
		case reflect.Struct:
			return structList
		}
	}
	return shape(255)
}

func structType(typ reflect.Type) reflect.Type {
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
	}
	return typ
}
