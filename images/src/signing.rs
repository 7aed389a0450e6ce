//! Manifest signatures in minisign's format (Ed25519 over a BLAKE2b prehash), so that
//! `minisign -Vm manifest.json -p image.pub` checks a published manifest too.

use std::io::Cursor;
use std::path::Path;

use minisign::{KeyPair, PublicKey, PublicKeyBox, SecretKey, SecretKeyBox, SignatureBox};

use crate::error::IoContext;
use crate::{Error, Result};

/// Writes a new key pair. The secret key is encrypted when a password is given; either way
/// its file is readable by its owner only.
pub fn keygen(secret_path: &Path, public_path: &Path, password: Option<String>) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    for path in [secret_path, public_path] {
        if path.exists() {
            return Err(Error::Usage(format!(
                "{} exists already; a key is never overwritten",
                path.display()
            )));
        }
    }
    let mut secret_file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(secret_path)
        .at(secret_path)?;
    let mut public_file = std::fs::File::create_new(public_path).at(public_path)?;
    // An empty password leaves the secret key unencrypted, checksum and all.
    let KeyPair { pk, sk } =
        KeyPair::generate_encrypted_keypair(Some(password.unwrap_or_default()))
            .map_err(|error| Error::Usage(format!("generating the key pair failed: {error}")))?;
    let boxes = pk
        .to_box()
        .and_then(|public| Ok((public, sk.to_box(Some("Hearth image signing key"))?)))
        .map_err(|error| Error::Usage(format!("encoding the key pair failed: {error}")))?;
    secret_file
        .write_all(boxes.1.to_string().as_bytes())
        .at(secret_path)?;
    public_file
        .write_all(boxes.0.to_string().as_bytes())
        .at(public_path)?;
    secret_file.sync_all().at(secret_path)?;
    public_file.sync_all().at(public_path)?;
    Ok(())
}

pub fn load_secret_key(path: &Path, password: Option<String>) -> Result<SecretKey> {
    let text = std::fs::read_to_string(path).at(path)?;
    let key_box = SecretKeyBox::from_string(&text).map_err(|error| {
        Error::BadSignature(format!(
            "{} is not a minisign secret key: {error}",
            path.display()
        ))
    })?;
    SecretKey::from_box(key_box, Some(password.unwrap_or_default())).map_err(|error| {
        Error::BadSignature(format!(
            "{} cannot be opened (wrong or missing password?): {error}",
            path.display()
        ))
    })
}

/// Reads a public key from a minisign `.pub` file or from its one base64 line.
pub fn parse_public_key(text: &str) -> Result<PublicKey> {
    let text = text.trim();
    let parsed = if text.contains('\n') {
        PublicKeyBox::from_string(text).and_then(PublicKeyBox::into_public_key)
    } else {
        PublicKey::from_base64(text)
    };
    parsed.map_err(|error| Error::BadSignature(format!("not a minisign public key: {error}")))
}

pub fn load_public_key(path: &Path) -> Result<PublicKey> {
    let text = std::fs::read_to_string(path).at(path)?;
    parse_public_key(&text)
        .map_err(|error| Error::BadSignature(format!("{}: {error}", path.display())))
}

/// The text of a `.minisig` file for `data`. The trusted comment is signed too.
pub fn sign(data: &[u8], secret_key: &SecretKey, trusted_comment: &str) -> Result<String> {
    minisign::sign(
        None,
        secret_key,
        Cursor::new(data),
        Some(trusted_comment),
        Some("signature from a Hearth image signing key"),
    )
    .map(|signature| signature.into_string())
    .map_err(|error| Error::BadSignature(format!("signing failed: {error}")))
}

/// A key's id as peers announce it: its 8-byte key number in 16 lowercase hex digits.
pub fn key_id(key: &PublicKey) -> String {
    hex(key.keynum())
}

/// The id of the key that made `signature` (a `.minisig` file's text), if it is readable.
pub fn signer_id(signature: &str) -> Option<String> {
    SignatureBox::from_string(signature)
        .ok()
        .map(|signature_box| hex(signature_box.keynum()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Checks `signature` (a `.minisig` file's text) over `data` with whichever of the trusted
/// keys made it (several are trusted while a key is being rotated); returns the trusted
/// comment.
pub fn verify_with_any(data: &[u8], signature: &str, trusted: &[PublicKey]) -> Result<String> {
    let signature_box = SignatureBox::from_string(signature)
        .map_err(|error| Error::BadSignature(format!("the signature is unreadable: {error}")))?;
    let key = trusted
        .iter()
        .find(|key| key.keynum() == signature_box.keynum())
        .or_else(|| trusted.first())
        .ok_or_else(|| Error::Usage("no public key is configured".to_string()))?;
    verify_box(data, &signature_box, key)
}

/// Checks `signature` (a `.minisig` file's text) over `data`; returns the trusted comment.
pub fn verify(data: &[u8], signature: &str, public_key: &PublicKey) -> Result<String> {
    let signature_box = SignatureBox::from_string(signature)
        .map_err(|error| Error::BadSignature(format!("the signature is unreadable: {error}")))?;
    verify_box(data, &signature_box, public_key)
}

fn verify_box(data: &[u8], signature_box: &SignatureBox, public_key: &PublicKey) -> Result<String> {
    minisign::verify(
        public_key,
        signature_box,
        Cursor::new(data),
        true,
        false,
        false,
    )
    .map_err(|error| {
        Error::BadSignature(format!("the manifest's signature does not verify: {error}"))
    })?;
    signature_box
        .trusted_comment()
        .map_err(|error| Error::BadSignature(format!("the trusted comment is unreadable: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(dir: &Path, name: &str) -> (SecretKey, PublicKey) {
        let secret = dir.join(format!("{name}.key"));
        let public = dir.join(format!("{name}.pub"));
        keygen(&secret, &public, None).unwrap();
        (
            load_secret_key(&secret, None).unwrap(),
            load_public_key(&public).unwrap(),
        )
    }

    #[test]
    fn a_signature_verifies_with_its_key_only() {
        let dir = std::env::temp_dir().join(format!("hearth-signing-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (secret, public) = keys(&dir, "a");
        let (_, other_public) = keys(&dir, "b");
        let signature = sign(b"manifest", &secret, "image=work version=3").unwrap();
        assert_eq!(
            verify(b"manifest", &signature, &public).unwrap(),
            "image=work version=3"
        );
        assert!(matches!(
            verify(b"manifesT", &signature, &public),
            Err(Error::BadSignature(_))
        ));
        assert!(matches!(
            verify(b"manifest", &signature, &other_public),
            Err(Error::BadSignature(_))
        ));
        let tampered_comment = signature.replace("version=3", "version=9");
        assert!(verify(b"manifest", &tampered_comment, &public).is_err());
        assert!(matches!(
            keygen(&dir.join("a.key"), &dir.join("c.pub"), None),
            Err(Error::Usage(_))
        ));
        // While a key is rotated devices trust both; the signature names the one it needs.
        let both = [other_public.clone(), public.clone()];
        assert!(verify_with_any(b"manifest", &signature, &both).is_ok());
        assert!(
            verify_with_any(b"manifest", &signature, std::slice::from_ref(&other_public)).is_err()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
