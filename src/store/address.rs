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

#[cfg(test)]
mod tests {
    use super::*;

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
