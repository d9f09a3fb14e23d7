#!/bin/sh
# check.sh: checks mibs/VIRTBRIDGE-MIB.txt with libsmi and net-snmp.
#
#   1. smilint at level 4 prints nothing;
#   2. snmptranslate loads the module beside VM-MIB without a message;
#   3. net-snmp's MIB parser, with all its warnings on, has nothing to say
#      about this module beyond the note it prints for every table;
#   4. the OIDs the Go code relies on are where it expects them.
#
# The IETF modules come from the reference directory beside the repository
# (../../shared/reference/snmp from this script), or from $VIRTBRIDGE_MIB_REF.
# Needs the Debian packages smitools (smilint) and snmp (snmptranslate).
#
# Exit status: 0 all clean (one "ok" line on stdout); 1 a check failed (the
# messages are printed); 2 a tool or the reference modules are missing.
# Every check runs with its own configuration: /etc/smi.conf, ~/.smirc,
# /etc/snmp/snmp.conf, ~/.snmp and the MIBS/MIBDIRS variables are ignored.

set -u

here=$(cd "$(dirname "$0")" && pwd)
ref=${VIRTBRIDGE_MIB_REF:-$here/../../shared/reference/snmp}
mib=$here/VIRTBRIDGE-MIB.txt

for tool in smilint snmptranslate; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "check.sh: $tool not found (apt-get install -y smitools snmp)" >&2
		exit 2
	fi
done
if [ ! -f "$ref/VM-MIB.txt" ]; then
	echo "check.sh: no VM-MIB.txt in $ref (set VIRTBRIDGE_MIB_REF)" >&2
	exit 2
fi
ref=$(cd "$ref" && pwd)

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
# net-snmp announces every directory it creates under its persistent
# directory on stderr; give it one that already exists, off /var/lib/snmp.
mkdir -p "$tmp/conf" "$tmp/persist/cert_indexes" || exit 2

failed=0
fail() {
	echo "FAIL: $1" >&2
	if [ -s "$tmp/out" ]; then sed 's/^/    /' "$tmp/out" >&2; fi
	failed=1
}

# Run net-snmp's snmptranslate with only our path and no config files.
translate() {
	env -u MIBS -u MIBDIRS SNMPCONFPATH="$tmp/conf" \
		SNMP_PERSISTENT_DIR="$tmp/persist" \
		snmptranslate -M "$ref:$here" -m VM-MIB:VIRTBRIDGE-MIB "$@"
}

# 1. smilint: -c /dev/null replaces the system and user configuration
# (which can hide messages); SMIPATH is then the whole search path.
# smilint exits 0 even on errors, so any output is a failure.
SMIPATH="$ref:$here" smilint -c /dev/null -l 4 -s -m "$mib" >"$tmp/out" 2>&1
if [ -s "$tmp/out" ]; then
	fail "smilint -l 4 $mib"
fi

# 2. snmptranslate loads VM-MIB and VIRTBRIDGE-MIB without a message.
translate -Tp -IR virtbridgeMIB >"$tmp/tree" 2>"$tmp/out"
if [ -s "$tmp/out" ]; then
	fail "snmptranslate -m VM-MIB:VIRTBRIDGE-MIB -Tp -IR virtbridgeMIB wrote to stderr"
elif ! grep -q 'virtbridgeMIB(32473)' "$tmp/tree"; then
	cp "$tmp/tree" "$tmp/out"
	fail "snmptranslate -Tp did not print the virtbridgeMIB(32473) tree"
fi

# 3. All parser warnings (-PW): the only one allowed for this module is
# "No known translation for type (VbVmControlEntry)", which net-snmp prints
# for the SEQUENCE type of every table, VM-MIB's and IF-MIB's alike.
translate -PW -On virtbridgeMIB >/dev/null 2>"$tmp/all"
grep -F "$mib" "$tmp/all" | grep -v 'No known translation for type' >"$tmp/out"
if [ -s "$tmp/out" ]; then
	fail "snmptranslate -PW warnings for $mib"
fi

# 4. The OID layout. Keep in step with the Go code. (Messages on stderr are
# check 2's business; here only the translation counts.)
cat >"$tmp/want" <<'EOF'
VIRTBRIDGE-MIB::virtbridgeMIB .1.3.6.1.4.1.32473
VIRTBRIDGE-MIB::virtbridgeNotifications .1.3.6.1.4.1.32473.0
VIRTBRIDGE-MIB::vbInventoryStale .1.3.6.1.4.1.32473.0.1
VIRTBRIDGE-MIB::vbInventoryFresh .1.3.6.1.4.1.32473.0.2
VIRTBRIDGE-MIB::vbVmControlFailed .1.3.6.1.4.1.32473.0.3
VIRTBRIDGE-MIB::virtbridgeObjects .1.3.6.1.4.1.32473.1
VIRTBRIDGE-MIB::vbAgent .1.3.6.1.4.1.32473.1.1
VIRTBRIDGE-MIB::vbAgentBackendURI .1.3.6.1.4.1.32473.1.1.1
VIRTBRIDGE-MIB::vbAgentBackendName .1.3.6.1.4.1.32473.1.1.2
VIRTBRIDGE-MIB::vbAgentInventoryStale .1.3.6.1.4.1.32473.1.1.3
VIRTBRIDGE-MIB::vbAgentInventoryStaleSince .1.3.6.1.4.1.32473.1.1.4
VIRTBRIDGE-MIB::vbAgentLastResync .1.3.6.1.4.1.32473.1.1.5
VIRTBRIDGE-MIB::vbAgentGeneration .1.3.6.1.4.1.32473.1.1.6
VIRTBRIDGE-MIB::vbAgentResyncs .1.3.6.1.4.1.32473.1.1.7
VIRTBRIDGE-MIB::vbAgentEvents .1.3.6.1.4.1.32473.1.1.8
VIRTBRIDGE-MIB::vbAgentControlRequests .1.3.6.1.4.1.32473.1.1.9
VIRTBRIDGE-MIB::vbAgentControlFailures .1.3.6.1.4.1.32473.1.1.10
VIRTBRIDGE-MIB::vbAgentNotificationsSent .1.3.6.1.4.1.32473.1.1.11
VIRTBRIDGE-MIB::vbAgentNotificationsDropped .1.3.6.1.4.1.32473.1.1.12
VIRTBRIDGE-MIB::vbVmControlTable .1.3.6.1.4.1.32473.1.2
VIRTBRIDGE-MIB::vbVmControlEntry .1.3.6.1.4.1.32473.1.2.1
VIRTBRIDGE-MIB::vbVmControlRequest .1.3.6.1.4.1.32473.1.2.1.1
VIRTBRIDGE-MIB::vbVmControlStatus .1.3.6.1.4.1.32473.1.2.1.2
VIRTBRIDGE-MIB::vbVmControlError .1.3.6.1.4.1.32473.1.2.1.3
VIRTBRIDGE-MIB::vbVmControlLastChange .1.3.6.1.4.1.32473.1.2.1.4
VIRTBRIDGE-MIB::virtbridgeConformance .1.3.6.1.4.1.32473.2
VIRTBRIDGE-MIB::virtbridgeProducts .1.3.6.1.4.1.32473.3
VIRTBRIDGE-MIB::virtbridgeAgent .1.3.6.1.4.1.32473.3.1
VIRTBRIDGE-MIB::virtbridgeBackendLibvirt .1.3.6.1.4.1.32473.3.2
VIRTBRIDGE-MIB::virtbridgeBackendVSphere .1.3.6.1.4.1.32473.3.3
EOF
: >"$tmp/out"
while read -r name want; do
	got=$(translate -On "$name" 2>/dev/null)
	if [ "$got" != "$want" ]; then
		echo "$name: got '$got', want '$want'" >>"$tmp/out"
	fi
done <"$tmp/want"
if [ -s "$tmp/out" ]; then
	fail "OID layout"
fi

if [ "$failed" -ne 0 ]; then
	exit 1
fi
echo "ok: $mib (smilint -l 4 clean, loads beside VM-MIB, $(wc -l <"$tmp/want") OIDs as expected)"
exit 0
