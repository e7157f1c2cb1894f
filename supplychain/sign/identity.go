package sign

import "strings"

// Identity is who produced a verified signature: a key of the trust policy,
// or a certificate identity from a keyless (sigstore) signature.
type Identity struct {
	// KeyID is the hex sha256 of the signer's public key in PKIX DER form;
	// for a certificate, of the certificate's public key.
	KeyID string `json:"keyid,omitempty"`
	// Name is the trust policy's name for the key, when it has one.
	Name string `json:"name,omitempty"`
	// Subject is a certificate's subject alternative name (an e-mail
	// address or a URI such as a CI workflow), for keyless signatures.
	Subject string `json:"subject,omitempty"`
	// Issuer is the OIDC issuer that vouched for Subject.
	Issuer string `json:"issuer,omitempty"`
}

// String names the identity for people: its name, subject or key ID.
func (id Identity) String() string {
	var parts []string
	if id.Name != "" {
		parts = append(parts, id.Name)
	}
	if id.Subject != "" {
		s := id.Subject
		if id.Issuer != "" {
			s += " (" + id.Issuer + ")"
		}
		parts = append(parts, s)
	}
	if id.KeyID != "" {
		parts = append(parts, "key "+id.KeyID)
	}
	return strings.Join(parts, ", ")
}
