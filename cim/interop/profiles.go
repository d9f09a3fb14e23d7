package interop

// Profile is a DMTF profile the agent implements (DSP1033 §7.1: one
// CIM_RegisteredProfile each).
type Profile struct {
	ID      string // InstanceID suffix: the DSP number
	Name    string // RegisteredName
	Version string // RegisteredVersion
	// Central selects the profile's central instances in the
	// implementation namespace: instances of Class for which Match (nil
	// for all) holds. Profile Registration's central instance is the
	// object manager instead, and Class is empty.
	Class string
	Match func(c centralCheck) bool
	// Autonomous profiles are the ones the others are referenced from
	// (CIM_ReferencedProfile).
	Autonomous bool
}

// centralCheck is what Match may look at.
type centralCheck struct {
	host         bool   // the instance is the host system
	resourceType uint64 // of a pool or capabilities, 0 when none
}

func resourceTypes(ts ...uint64) func(centralCheck) bool {
	return func(c centralCheck) bool {
		for _, t := range ts {
			if c.resourceType == t {
				return true
			}
		}
		return false
	}
}

// profiles are the profiles registered, all DMTF (RegisteredOrganization
// 2). Resource types per DSP1041 Table 2 (CIM_ResourcePool.ResourceType).
var profiles = []Profile{
	{ID: "DSP1033", Name: "Profile Registration", Version: "1.0.0"},
	{ID: "DSP1042", Name: "System Virtualization", Version: "1.0.0", Autonomous: true,
		Class: "CIM_ComputerSystem", Match: func(c centralCheck) bool { return c.host }},
	{ID: "DSP1057", Name: "Virtual System", Version: "1.0.0",
		Class: "CIM_ComputerSystem", Match: func(c centralCheck) bool { return !c.host }},
	{ID: "DSP1041", Name: "Resource Allocation", Version: "1.1.0", Class: "CIM_ResourcePool"},
	{ID: "DSP1043", Name: "Allocation Capabilities", Version: "1.0.0", Class: "CIM_AllocationCapabilities"},
	{ID: "DSP1044", Name: "Processor Resource Virtualization", Version: "1.0.0",
		Class: "CIM_ResourcePool", Match: resourceTypes(3)},
	{ID: "DSP1045", Name: "Memory Resource Virtualization", Version: "1.0.0",
		Class: "CIM_ResourcePool", Match: resourceTypes(4)},
	{ID: "DSP1047", Name: "Storage Resource Virtualization", Version: "1.0.0",
		Class: "CIM_ResourcePool", Match: resourceTypes(17, 19, 31)},
	{ID: "DSP1050", Name: "Ethernet Port Resource Virtualization", Version: "1.0.0",
		Class: "CIM_ResourcePool", Match: resourceTypes(10, 33)},
}
