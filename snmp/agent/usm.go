package agent

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/virtbridge/virtbridge/snmp/usm"

	"github.com/gosnmp/gosnmp"
)

// Security levels as msgFlags carries them (RFC 3412 §6.4).
const (
	levelNoAuth   = 0
	levelAuth     = flagAuth
	levelPriv     = flagAuth | flagPriv
	flagAuth      = 0x01
	flagPriv      = 0x02
	flagReport    = 0x04
	usmModel      = 3
	timeWindow    = 150 // seconds (RFC 3414 §3.2 step 7)
	minPassphrase = 8   // RFC 3414 §11.2; net-snmp refuses shorter ones too
)

func levelName(l byte) string {
	switch l {
	case levelNoAuth:
		return "noAuthNoPriv"
	case levelAuth:
		return "authNoPriv"
	}
	return "authPriv"
}

// usmUser is a configured user with its keys localized to our engine ID.
type usmUser struct {
	name             string
	level            byte // the least security level the user accepts
	auth             gosnmp.SnmpV3AuthProtocol
	priv             gosnmp.SnmpV3PrivProtocol
	authKey, privKey []byte
	read, write      *view
}

func newUser(u User, engineID []byte, views map[string]*view) (*usmUser, error) {
	if u.Name == "" || len(u.Name) > 32 {
		return nil, errors.New("user name must be 1 to 32 octets")
	}
	auth, err := usm.ParseAuth(u.AuthProto)
	if err != nil {
		return nil, err
	}
	priv, err := usm.ParsePriv(u.PrivProto)
	if err != nil {
		return nil, err
	}
	uu := &usmUser{name: u.Name, auth: auth, priv: priv}
	switch {
	case priv != gosnmp.NoPriv && auth == gosnmp.NoAuth:
		return nil, errors.New("privacy needs an authentication protocol too (RFC 3414 §1.4.3)")
	case priv != gosnmp.NoPriv:
		uu.level = levelPriv
	case auth != gosnmp.NoAuth:
		uu.level = levelAuth
	}
	if auth != gosnmp.NoAuth && len(u.AuthPass) < minPassphrase {
		return nil, fmt.Errorf("authentication passphrase shorter than %d characters", minPassphrase)
	}
	if priv != gosnmp.NoPriv && len(u.PrivPass) < minPassphrase {
		return nil, fmt.Errorf("privacy passphrase shorter than %d characters", minPassphrase)
	}
	if auth == gosnmp.NoAuth && (u.AuthPass != "" || u.PrivPass != "") {
		return nil, errors.New("passphrases given for a user without authentication")
	}
	if uu.read, err = lookupView(views, u.ReadView, "read"); err != nil {
		return nil, err
	}
	if u.WriteView != "" {
		if uu.level == levelNoAuth {
			// Anyone can claim an unauthenticated name.
			return nil, errors.New("a noAuthNoPriv user cannot have a write view")
		}
		if uu.write, err = lookupView(views, u.WriteView, "write"); err != nil {
			return nil, err
		}
	}
	if auth == gosnmp.NoAuth {
		return uu, nil
	}
	// Key localization (RFC 3414 §2.6, and the AES key extensions of
	// draft-blumenthal-aes-usm / draft-reeder-snmpv3-usm-3desede) is
	// gosnmp's; done once here, not per message.
	sp := &gosnmp.UsmSecurityParameters{
		AuthoritativeEngineID:    string(engineID),
		AuthenticationProtocol:   auth,
		AuthenticationPassphrase: u.AuthPass,
		PrivacyProtocol:          priv,
		PrivacyPassphrase:        u.PrivPass,
	}
	if err := sp.InitSecurityKeys(); err != nil {
		return nil, fmt.Errorf("localizing keys: %w", err)
	}
	uu.authKey = sp.SecretKey
	uu.privKey = sp.PrivacyKey
	if len(uu.authKey) == 0 || priv != gosnmp.NoPriv && len(uu.privKey) < privKeyLen(priv) {
		return nil, errors.New("localizing keys: gosnmp returned no key")
	}
	return uu, nil
}

func lookupView(views map[string]*view, name, what string) (*view, error) {
	if name == "" {
		return nil, fmt.Errorf("no %s view", what)
	}
	v, ok := views[name]
	if !ok {
		return nil, fmt.Errorf("%s view %q is not defined", what, name)
	}
	return v, nil
}

func privKeyLen(p gosnmp.SnmpV3PrivProtocol) int {
	switch p {
	case gosnmp.DES:
		return 16 // key and pre-IV (RFC 3414 §8.1.1.1)
	case gosnmp.AES192, gosnmp.AES192C:
		return 24
	case gosnmp.AES256, gosnmp.AES256C:
		return 32
	}
	return 16
}

// mac is the digest of msg, whose msgAuthenticationParameters are zeros.
func (u *usmUser) mac(msg []byte) []byte { return usm.MAC(u.auth, u.authKey, msg) }

func (u *usmUser) authentic(msg, digest []byte) bool {
	return len(digest) == usm.MACLen(u.auth) && subtle.ConstantTimeCompare(u.mac(msg), digest) == 1
}

var errDecrypt = errors.New("decryption error")

// decrypt opens an encryptedPDU with the salt and the authoritative
// boots and time of its message (RFC 3414 §8.3.2, RFC 3826 §3.1.4).
func (u *usmUser) decrypt(data, salt []byte, boots, time uint32) ([]byte, error) {
	if len(salt) != 8 {
		return nil, fmt.Errorf("%w: privacy parameters are %d octets", errDecrypt, len(salt))
	}
	out := make([]byte, len(data))
	if u.priv == gosnmp.DES {
		if len(data) == 0 || len(data)%des.BlockSize != 0 {
			return nil, fmt.Errorf("%w: %d octets is no whole number of DES blocks", errDecrypt, len(data))
		}
		block, err := des.NewCipher(u.privKey[:8])
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errDecrypt, err)
		}
		cipher.NewCBCDecrypter(block, desIV(u.privKey, salt)).CryptBlocks(out, data)
		return out, nil
	}
	block, err := aes.NewCipher(u.privKey[:privKeyLen(u.priv)])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errDecrypt, err)
	}
	//lint:ignore SA1019 RFC 3826 §3.1 specifies CFB128; there is no choice.
	cipher.NewCFBDecrypter(block, aesIV(salt, boots, time)).XORKeyStream(out, data)
	return out, nil
}

// encrypt seals a scopedPDU. salt must be unique per key, so for DES it is
// boots and a counter (RFC 3414 §8.1.1.1), for AES a 64-bit counter.
func (u *usmUser) encrypt(plain []byte, counter uint64, boots, time uint32) (data, salt []byte) {
	salt = make([]byte, 8)
	if u.priv == gosnmp.DES {
		binary.BigEndian.PutUint32(salt, boots)
		binary.BigEndian.PutUint32(salt[4:], uint32(counter))
		padded := make([]byte, (len(plain)+des.BlockSize-1)/des.BlockSize*des.BlockSize)
		copy(padded, plain)
		block, _ := des.NewCipher(u.privKey[:8]) // 8 octets: cannot fail
		cipher.NewCBCEncrypter(block, desIV(u.privKey, salt)).CryptBlocks(padded, padded)
		return padded, salt
	}
	binary.BigEndian.PutUint64(salt, counter)
	block, _ := aes.NewCipher(u.privKey[:privKeyLen(u.priv)]) // 16, 24 or 32 octets: cannot fail
	out := make([]byte, len(plain))
	//lint:ignore SA1019 RFC 3826 §3.1 specifies CFB128; there is no choice.
	cipher.NewCFBEncrypter(block, aesIV(salt, boots, time)).XORKeyStream(out, plain)
	return out, salt
}

// encryptedLen is the size encrypt gives n plaintext octets.
func (u *usmUser) encryptedLen(n int) int {
	if u.priv == gosnmp.DES {
		return (n + des.BlockSize - 1) / des.BlockSize * des.BlockSize
	}
	return n
}

func desIV(key, salt []byte) []byte {
	iv := make([]byte, 8)
	for i := range iv {
		iv[i] = key[8+i] ^ salt[i]
	}
	return iv
}

func aesIV(salt []byte, boots, time uint32) []byte {
	iv := make([]byte, 16)
	binary.BigEndian.PutUint32(iv, boots)
	binary.BigEndian.PutUint32(iv[4:], time)
	copy(iv[8:], salt)
	return iv
}
