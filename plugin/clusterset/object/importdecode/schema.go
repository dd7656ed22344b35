package importdecode

// The JSON fields of a ServiceImport's Go types, mcs-api v1beta1 and
// v1alpha1 alike (their types are the same), with k8s.io/apimachinery's
// ObjectMeta: what the typed decode would read, so that the fast path
// checks each one it drops. schema_test.go holds these tables against the
// Go types by reflection, so that an added field fails a test rather than
// slipping past the check.

var (
	// topFields are the ServiceImport's own.
	topFields = []field{
		{name: "apiVersion", shape: kept},
		{name: "kind", shape: kept},
		{name: "metadata", shape: kept},
		{name: "spec", shape: kept},
		{name: "status", shape: kept},
	}

	// metaFields are metav1.ObjectMeta's.
	metaFields = []field{
		{name: "name", shape: kept},
		{name: "generateName", shape: stringVal},
		{name: "namespace", shape: kept},
		{name: "selfLink", shape: stringVal},
		{name: "uid", shape: stringVal},
		{name: "resourceVersion", shape: kept},
		{name: "generation", shape: int64Val},
		{name: "creationTimestamp", shape: timeVal},
		{name: "deletionTimestamp", shape: timeVal},
		{name: "deletionGracePeriodSeconds", shape: int64Val},
		{name: "labels", shape: stringMap},
		{name: "annotations", shape: kept},
		{name: "ownerReferences", shape: structList, elem: ownerReferenceFields},
		{name: "finalizers", shape: stringList},
		{name: "managedFields", shape: structList, elem: managedFieldsFields},
	}

	ownerReferenceFields = []field{
		{name: "apiVersion", shape: stringVal},
		{name: "kind", shape: stringVal},
		{name: "name", shape: stringVal},
		{name: "uid", shape: stringVal},
		{name: "controller", shape: boolVal},
		{name: "blockOwnerDeletion", shape: boolVal},
	}

	managedFieldsFields = []field{
		{name: "manager", shape: stringVal},
		{name: "operation", shape: stringVal},
		{name: "apiVersion", shape: stringVal},
		{name: "time", shape: timeVal},
		{name: "fieldsType", shape: stringVal},
		{name: "fieldsV1", shape: anyValue},
		{name: "subresource", shape: stringVal},
	}

	// specFields are ServiceImportSpec's.
	specFields = []field{
		{name: "ports", shape: kept},
		{name: "ips", shape: kept},
		{name: "type", shape: kept},
		{name: "sessionAffinity", shape: stringVal},
		{name: "sessionAffinityConfig", shape: structVal, elem: sessionAffinityConfigFields},
		{name: "ipFamilies", shape: stringList},
		{name: "internalTrafficPolicy", shape: kept},
		{name: "trafficDistribution", shape: kept},
	}

	// portFields are ServicePort's (mcs-api's, not core/v1's).
	portFields = []field{
		{name: "name", shape: kept},
		{name: "protocol", shape: kept},
		{name: "appProtocol", shape: stringVal},
		{name: "port", shape: kept},
	}

	sessionAffinityConfigFields = []field{
		{name: "clientIP", shape: structVal, elem: clientIPConfigFields},
	}

	clientIPConfigFields = []field{
		{name: "timeoutSeconds", shape: int32Val},
	}

	// statusFields are ServiceImportStatus's.
	statusFields = []field{
		{name: "endpointSliceObjects", shape: kept},
		{name: "clusters", shape: structList, elem: clusterStatusFields},
		{name: "conditions", shape: structList, elem: conditionFields},
	}

	clusterStatusFields = []field{
		{name: "cluster", shape: stringVal},
	}

	// conditionFields are metav1.Condition's.
	conditionFields = []field{
		{name: "type", shape: stringVal},
		{name: "status", shape: stringVal},
		{name: "observedGeneration", shape: int64Val},
		{name: "lastTransitionTime", shape: timeVal},
		{name: "reason", shape: stringVal},
		{name: "message", shape: stringVal},
	}
)
