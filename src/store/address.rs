//! A garden's address and its documents' names as automerge-repo writes them: an `automerge:` URL holds a
//! document id (16 bytes) in base58 with a four-byte checksum (bs58check), so that any automerge-repo program
//! can find a Loam garden's documents. The store names documents by the same 16 bytes, as hex. Pure.

/// What automerge-repo puts before a document id.
pub const PREFIX: &str = "automerge:";

/// The `automerge:` URL of the document the store names `id` (16 bytes as hex); `None` for anything else.
pub fn url(id: &str) -> Option<String> {
    let bytes = hex::decode(id).ok().filter(|b| b.len() == 16)?;
    Some(format!("{PREFIX}{}", bs58::encode(bytes).with_check().into_string()))
}

/// The store's name (hex) of the document an `automerge:` URL points at; `None` if it is not one, or its
/// checksum is wrong. A URL that also names heads (`automerge:ID#HEADS`) names the same document.
pub fn id(url: &str) -> Option<String> {
    let encoded = url.strip_prefix(PREFIX)?;
    let encoded = encoded.split('#').next().unwrap_or(encoded);
    let bytes = bs58::decode(encoded).with_check(None).into_vec().ok().filter(|b| b.len() == 16)?;
    Some(hex::encode(bytes))
}

/// `bytes` with the version and variant bits of a random (version 4) UUID set: what automerge-repo 1.x checks a
/// document id for (`uuid.validate`), as its `generateAutomergeUrl` makes them.
pub fn uuid_shaped(mut bytes: [u8; 16]) -> [u8; 16] {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    bytes
}

/// Whether the document the store names `id` (hex) has an id automerge-repo 1.x accepts: a UUID of versions 1 to
/// 5 with the RFC's variant, or the nil UUID, as every version of the `uuid` package's `validate` says yes to.
pub fn every_relay_accepts(id: &str) -> bool {
    let Some(bytes) = hex::decode(id).ok().filter(|b| b.len() == 16) else { return false };
    let version = bytes[6] >> 4;
    let variant = bytes[8] >> 6;
    ((1..=5).contains(&version) && variant == 0b10) || bytes.iter().all(|&b| b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_uuids_every_relay_accepts() {
        // What the `uuid` package's v4() and validate() say of these bytes: 6f9619ff-8b86-4011-b42d-00c04fc964ff.
        let shaped =
            hex::encode(uuid_shaped(hex::decode("6f9619ff8b86d011b42d00c04fc964ff").unwrap().try_into().unwrap()));
        assert_eq!(shaped, "6f9619ff8b864011b42d00c04fc964ff");
        assert!(every_relay_accepts(&shaped));
        assert!(!every_relay_accepts("6f9619ff8b86d011b42d00c04fc964ff"), "version 13");
        assert!(!every_relay_accepts("6f9619ff8b8640117f2d00c04fc964ff"), "the NCS variant");
        assert!(!every_relay_accepts("not hex"));
    }

    #[test]
    fn urls_are_the_ones_automerge_repo_writes() {
        // Made by the `bs58check` npm package automerge-repo uses, for bytes 0..16 and for some others.
        assert_eq!(url("000102030405060708090a0b0c0d0e0f").unwrap(), "automerge:1Bhh3pU9gLXZiNDL6PEa1Gs9fh");
        let id_hex = "9f1c2a3b4c5d6e7f8091a2b3c4d5e6f7";
        assert_eq!(url(id_hex).unwrap(), "automerge:3DZsvB9sUD1vagMTufou9GRTp3xG");
        assert_eq!(id("automerge:3DZsvB9sUD1vagMTufou9GRTp3xG").unwrap(), id_hex);
        assert_eq!(id("automerge:3DZsvB9sUD1vagMTufou9GRTp3xG#abc").unwrap(), id_hex);
    }

    #[test]
    fn anything_else_is_no_address() {
        assert_eq!(url("not hex"), None);
        assert_eq!(url("0001"), None, "too short");
        assert_eq!(id("3DZsvB9sUD1vagMTufou9GRTp3xG"), None, "no prefix");
        assert_eq!(id("automerge:3DZsvB9sUD1vagMTufou9GRTp3xH"), None, "a wrong checksum");
        assert_eq!(id("automerge:"), None);
    }
}
