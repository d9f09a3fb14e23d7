package agent

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// stateFile holds the engine ID and snmpEngineBoots in StateDir.
const stateFile = "snmp-engine.json"

// maxBoots is where snmpEngineBoots latches (RFC 3414 §2.2.2): from then
// on every authenticated request is outside the time window until the
// engine gets a new engine ID.
const maxBoots = 2147483647

// enterprise 32473 is IANA's example enterprise (RFC 5612).
const enterprise = 32473

type engineState struct {
	EngineID string `json:"engineID"` // hex
	Boots    uint32 `json:"engineBoots"`
}

// newEngineID makes an RFC 3411 §5 engine ID: the enterprise number with
// the top bit set, format 5 (administratively assigned octets), and eight
// random octets.
func newEngineID() ([]byte, error) {
	id := binary.BigEndian.AppendUint32(nil, 0x80000000|enterprise)
	id = append(id, 5)
	r := make([]byte, 8)
	if _, err := rand.Read(r); err != nil {
		return nil, fmt.Errorf("generating an engine ID: %w", err)
	}
	return append(id, r...), nil
}

// checkEngineID applies SnmpEngineID's constraints (SNMP-FRAMEWORK-MIB).
func checkEngineID(id []byte) error {
	if len(id) < 5 || len(id) > 32 {
		return fmt.Errorf("engine ID is %d octets, not 5 to 32", len(id))
	}
	if bytes.Count(id, []byte{0}) == len(id) || bytes.Count(id, []byte{0xff}) == len(id) {
		return errors.New("engine ID may not be all zeros or all 0xff")
	}
	return nil
}

// parseState decodes the state file.
func parseState(b []byte) ([]byte, uint32, error) {
	var st engineState
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, 0, err
	}
	id, err := hex.DecodeString(st.EngineID)
	if err != nil {
		return nil, 0, fmt.Errorf("engineID: %w", err)
	}
	if err := checkEngineID(id); err != nil {
		return nil, 0, err
	}
	if st.Boots > maxBoots {
		return nil, 0, fmt.Errorf("engineBoots %d exceeds %d", st.Boots, maxBoots)
	}
	return id, st.Boots, nil
}

// startEngine loads the engine's state from dir, counts this start in
// snmpEngineBoots and saves it before the agent answers anything, so a
// restart never reuses a (boots, time) pair a message was accepted at.
func startEngine(dir string, override []byte) ([]byte, uint32, error) {
	path := filepath.Join(dir, stateFile)
	var id []byte
	var boots uint32
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, 0, fmt.Errorf("reading engine state: %w", err)
	default:
		// A corrupt file is an error, not a fresh start: resetting boots
		// would reopen time windows already used.
		if id, boots, err = parseState(b); err != nil {
			return nil, 0, fmt.Errorf("engine state %s: %w", path, err)
		}
	}
	if override != nil && !bytes.Equal(override, id) {
		// A new engine ID starts a new engine: keys localized to the old
		// one cannot authenticate here, so boots may restart.
		id, boots = bytes.Clone(override), 0
	}
	if id == nil {
		if id, err = newEngineID(); err != nil {
			return nil, 0, err
		}
	}
	if boots < maxBoots {
		boots++
	}
	data, err := json.Marshal(engineState{EngineID: hex.EncodeToString(id), Boots: boots})
	if err != nil {
		return nil, 0, fmt.Errorf("encoding engine state: %w", err)
	}
	if err := writeFileAtomic(dir, stateFile, append(data, '\n')); err != nil {
		return nil, 0, fmt.Errorf("saving engine state: %w", err)
	}
	return id, boots, nil
}

// writeFileAtomic replaces dir/name so that a crash leaves either the old
// or the new content.
func writeFileAtomic(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // fails harmlessly once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
