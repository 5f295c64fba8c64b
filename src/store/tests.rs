//! The store's tests: examples (`unit`) and properties (`properties`, with proptest).

use super::checkout::pending_file;
use super::*;

/// For tests: a change by another device that reaches the note's document but not its file, inserting `text` at
/// `at`. Returns the document's files and its text object.
fn remote_insert(store: &Store, path: &str, at: usize, text: &str) -> (DocFiles, automerge::ObjId) {
    let entry = store.entry(path).unwrap().clone();
    // The store's copy of the document, if it keeps one, would not have the change.
    crate::lock(&store.recent).retain(|(id, _)| *id != entry.doc);
    let files = DocFiles::new(&store.docs_dir(), &entry.doc);
    let mut doc = files.load().unwrap().with_actor(ActorId::random());
    let before = doc.get_heads();
    let (_, obj) = doc.get(ROOT, "text").unwrap().unwrap();
    let mut tx = doc.transaction();
    tx.splice_text(&obj, at, 0, text).unwrap();
    tx.commit();
    files.append(&doc, &doc.save_after(&before)).unwrap();
    (files, obj)
}

mod unit {
    use super::*;

    fn notes(files: &[(&str, &str)]) -> Vec<SourceFile> {
        files.iter().map(|(p, t)| file(p, t.as_bytes().to_vec())).collect()
    }

    fn file(path: &str, bytes: Vec<u8>) -> SourceFile {
        SourceFile { path: path.into(), bytes, modified: None }
    }

    /// A store in a temporary garden holding one note, `name` in `content/`, recorded as written.
    fn recorded_note(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf, PathBuf, Store) {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        std::fs::create_dir_all(&content).unwrap();
        let note = content.join(name);
        std::fs::write(&note, bytes).unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store.catch_up(vec![file(name, bytes.to_vec())]).unwrap();
        (dir, content, note, store)
    }

    fn texts(store: &Store, path: &str) -> Vec<String> {
        store.history(path).unwrap().into_iter().map(|v| v.text).collect()
    }

    #[test]
    fn every_save_is_one_change_by_its_author_and_unchanged_bytes_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        let done = store.catch_up(notes(&[("a.md", "one\n"), ("b/c.md", "see")])).unwrap();
        let recorded: Vec<(&str, &[String])> =
            done.authorship.iter().map(|(path, a)| (path.as_str(), a.as_ref().unwrap().0.as_slice())).collect();
        assert_eq!(recorded, [("a.md", &["Ada".to_string()][..]), ("b/c.md", &["Ada".to_string()][..])]);
        assert_eq!(done, CaughtUp { added: 2, authorship: done.authorship.clone(), ..CaughtUp::default() });
        assert!(store.record("a.md", b"one\ntwo\n").unwrap());
        assert!(!store.record("a.md", b"one\ntwo\n").unwrap(), "the same bytes again are no change");
        assert!(store.record("a.md", b"one\n2\n").unwrap());
        let history = store.history("a.md").unwrap();
        assert_eq!(history.iter().map(|v| v.text.as_str()).collect::<Vec<_>>(), ["one\n", "one\ntwo\n", "one\n2\n"]);
        assert!(history.iter().all(|v| v.about.author == "Ada"));
        assert_eq!(history[0].about.kind, "import");
        assert_eq!(history[2].about.kind, "edit");
        // Reopened, the store knows everything and records nothing new for the same files.
        drop(store);
        let mut again = Store::open(dir.path(), "Ada").unwrap();
        assert_eq!(again.catch_up(notes(&[("a.md", "one\n2\n"), ("b/c.md", "see")])).unwrap(), CaughtUp::default());
        assert_eq!(texts(&again, "a.md").len(), 3);
    }

    #[test]
    fn a_new_note_is_kept_as_its_first_change_until_it_is_next_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store.catch_up(notes(&[("a.md", "Grüße 🙂\nline two\n")])).unwrap();
        let snapshot = dir.path().join(format!(".loam/docs/{}.am", store.entry("a.md").unwrap().doc));
        let chunk_type = || std::fs::read(&snapshot).unwrap()[8];
        assert_eq!(chunk_type(), 1, "a change");
        // Read back without loading, and by loading: the same.
        let versions = store.history("a.md").unwrap();
        assert_eq!((versions.len(), versions[0].text.as_str()), (1, "Grüße 🙂\nline two\n"));
        let entry = store.entry("a.md").unwrap();
        assert_eq!(versions[0].hash.to_string(), entry.heads[0]);
        let doc = DocFiles::reading(&store.docs_dir(), &entry.doc).load().unwrap();
        assert_eq!(content_at(&doc, &[]).unwrap(), versions[0].text);
        assert_eq!(chunk_type(), 1, "a reader never rewrites");
        // The next edit loads it, and the writer keeps it as a saved document from then on.
        drop(store);
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        assert!(store.record("a.md", "Grüße 🙂\nline 2\n".as_bytes()).unwrap());
        assert_eq!(chunk_type(), 0, "a saved document");
        assert_eq!(texts(&store, "a.md"), ["Grüße 🙂\nline two\n", "Grüße 🙂\nline 2\n"]);
    }

    #[test]
    fn a_write_back_keeps_every_word_its_file_form_and_is_not_an_edit() {
        let (_dir, _content, note, mut store) = recorded_note("w.md", b"\xEF\xBB\xBFone\r\ntwo\r\n");
        assert!(!store.write_back("w.md", &note).unwrap(), "nothing to write");

        // A change from elsewhere reaches the document (`X` before `two`), and meanwhile the file was edited
        // and not recorded yet: the write keeps both, in the file's own form.
        remote_insert(&store, "w.md", 4, "X");
        std::fs::write(&note, b"\xEF\xBB\xBFone!\r\ntwo\r\n").unwrap();
        assert!(store.write_back("w.md", &note).unwrap());
        let written = std::fs::read(&note).unwrap();
        assert_eq!(written, b"\xEF\xBB\xBFone!\r\nXtwo\r\n");
        assert!(!pending_file(&note).exists());
        // The watcher reports the write: the same bytes are no edit, and a second write-back does nothing.
        assert!(!store.record("w.md", &written).unwrap());
        assert!(!store.write_back("w.md", &note).unwrap());
        let doc = store.loaded(&store.entry("w.md").unwrap().doc).unwrap();
        assert_eq!(content_at(&doc, &[]).unwrap(), "one!\nXtwo\n");
        assert_eq!(texts(&store, "w.md").len(), 3, "the import, the remote change and the edit");
    }

    #[test]
    fn a_write_back_cut_by_a_crash_is_finished_at_the_next_start() {
        let (dir, content, note, mut store) = recorded_note("n.md", b"alpha\n");
        remote_insert(&store, "n.md", 0, "beta ");
        assert!(store.write_back("n.md", &note).unwrap());
        // As if the process died after recording the write and before the rename.
        std::fs::write(pending_file(&note), "beta alpha\n").unwrap();
        std::fs::write(&note, "alpha\n").unwrap();
        store.local.notes.get_mut("n.md").unwrap().writing = true;
        store.local.persist(&["n.md".to_string()]).unwrap();
        drop(store);

        let mut store = Store::open(dir.path(), "Ada").unwrap();
        assert_eq!(store.finish_writes(&content).unwrap(), 1);
        assert_eq!(std::fs::read_to_string(&note).unwrap(), "beta alpha\n");
        assert!(!pending_file(&note).exists() && !store.entry("n.md").unwrap().writing);
        let done = store.catch_up(vec![file("n.md", std::fs::read(&note).unwrap())]).unwrap();
        assert_eq!(done, CaughtUp::default(), "the finished write is not an edit");
        assert_eq!(store.finish_writes(&content).unwrap(), 0);
    }

    #[test]
    fn a_deletion_stands_only_over_changes_it_saw() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store.catch_up(notes(&[("n.md", "one\n"), ("keep.md", "kept\n")])).unwrap();
        let doc_id = store.entry("n.md").unwrap().doc.clone();
        let files = DocFiles::new(&store.docs_dir(), &doc_id);
        // Another peer has the note and edits it; this one deletes it without having seen that edit.
        let mut theirs = files.load().unwrap().with_actor(ActorId::random());
        let mut tx = theirs.transaction();
        let (_, text) = tx.get(ROOT, "text").unwrap().unwrap();
        tx.splice_text(&text, 4, 0, "two\n").unwrap();
        tx.commit();
        store.catch_up(notes(&[("keep.md", "kept\n")])).unwrap();

        // The index says deleted, with the heads the deletion saw.
        let docs = store.index.get(ROOT, "docs").unwrap().unwrap().1;
        let entry = store.index.get(&docs, doc_id.as_str()).unwrap().unwrap().1;
        let list = store.index.get(&entry, "deletedAt").unwrap().unwrap().1;
        let seen: Vec<ChangeHash> = (0..store.index.length(&list))
            .map(|n| match store.index.get(&list, n).unwrap().unwrap().0 {
                Value::Scalar(s) => s.as_str().unwrap().parse().unwrap(),
                _ => panic!("a hash"),
            })
            .collect();
        let ours = files.load().unwrap();
        assert_eq!(seen, ours.get_heads());
        assert!(deletion_stands(&ours, &seen), "nothing happened that it did not see");
        // Once the edit arrives, the note comes back.
        let mut merged = files.load().unwrap();
        merged.merge(&mut theirs).unwrap();
        assert!(!deletion_stands(&merged, &seen));
        assert_eq!(content_at(&merged, &[]).unwrap(), "one\ntwo\n");
        // A peer that has not received what the deletion saw keeps the note deleted until it has.
        assert!(deletion_stands(&Automerge::new(), &seen));
        // Made again at its path, the note is a new document, alive beside the deleted one.
        store.catch_up(notes(&[("keep.md", "kept\n"), ("n.md", "one\n")])).unwrap();
        let again = store.index_paths().unwrap();
        assert!(again.values().filter(|(p, _)| p == "n.md").any(|(_, deleted)| !deleted));
    }

    #[test]
    fn contributors_and_the_last_edit_are_kept_per_note_and_dated_by_the_file() {
        use std::time::{Duration, UNIX_EPOCH};
        let dir = tempfile::tempdir().unwrap();
        let at = |secs: u64| Some(UNIX_EPOCH + Duration::from_secs(secs));
        let written = 1_600_000_000; // 2020-09-13
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store
            .catch_up(vec![SourceFile { path: "a.md".into(), bytes: b"one\n".to_vec(), modified: at(written) }])
            .unwrap();
        // An import is dated when its file was last written, not when Loam first saw it.
        assert_eq!(
            (store.entry("a.md").unwrap().authors.clone(), store.entry("a.md").unwrap().edited),
            (vec!["Ada".to_string()], written as i64)
        );
        drop(store);

        // Another author edits it while Loam is stopped; the catch-up dates the change by the file.
        let mut store = Store::open(dir.path(), "Bo").unwrap();
        let later = written + 3600;
        store
            .catch_up(vec![SourceFile { path: "a.md".into(), bytes: b"one\ntwo\n".to_vec(), modified: at(later) }])
            .unwrap();
        let entry = store.entry("a.md").unwrap().clone();
        assert_eq!((entry.authors, entry.edited), (vec!["Ada".to_string(), "Bo".to_string()], later as i64));
        // A file whose time is older than its last change (a backup put back) was changed now.
        let restored = SourceFile { path: "a.md".into(), bytes: b"one\n".to_vec(), modified: at(written) };
        store.update(vec![restored], Vec::new()).unwrap();
        assert!(store.entry("a.md").unwrap().edited >= now() - 60);
        // Only other line endings: no change to the text, so no new contributor and the same date.
        let edited = store.entry("a.md").unwrap().edited;
        drop(store);
        let mut store = Store::open(dir.path(), "Cy").unwrap();
        assert!(store.record("a.md", b"one\r\n").unwrap());
        let entry = store.entry("a.md").unwrap().clone();
        assert_eq!((entry.authors.len(), entry.edited), (2, edited));
        drop(store);

        // Read without the lock, as pages are made; and made again from the documents when the bookkeeping was
        // written by a Loam that did not keep them.
        assert_eq!(contributions_of(dir.path())["a.md"], (vec!["Ada".to_string(), "Bo".to_string()], edited));
        let mut old = Local::open(&dir.path().join(".loam"), false, Durable::default()).unwrap();
        for entry in old.notes.values_mut() {
            (entry.authors, entry.edited) = (Vec::new(), 0);
        }
        std::fs::write(dir.path().join(".loam/local.json"), serde_json::to_vec(&old.notes).unwrap()).unwrap();
        let _ = std::fs::remove_file(dir.path().join(".loam/local.log"));
        assert_eq!(contributions_of(dir.path())["a.md"], (Vec::new(), 0));
        let mut store = Store::open(dir.path(), "Cy").unwrap();
        store.catch_up(vec![file("a.md", b"one\r\n".to_vec())]).unwrap();
        drop(store);
        assert_eq!(contributions_of(dir.path())["a.md"], (vec!["Ada".to_string(), "Bo".to_string()], edited));
        assert!(contributions_of(&dir.path().join("nowhere")).is_empty());
    }

    #[test]
    fn changes_made_while_stopped_are_caught_up_moves_keep_history_and_deletes_are_tombstones() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store.catch_up(notes(&[("a.md", "alpha"), ("b.md", "beta"), ("c.md", "gamma")])).unwrap();
        store.record("b.md", b"beta 2").unwrap();
        drop(store);
        // While Loam was stopped: a.md edited, b.md moved, c.md deleted, d.md made.
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        let done =
            store.catch_up(notes(&[("a.md", "alpha, edited"), ("moved/b.md", "beta 2"), ("d.md", "delta")])).unwrap();
        let touched: Vec<(&str, bool)> = done.authorship.iter().map(|(p, a)| (p.as_str(), a.is_some())).collect();
        assert_eq!(touched, [("a.md", true), ("b.md", false), ("c.md", false), ("d.md", true), ("moved/b.md", true)]);
        let authorship = done.authorship.clone();
        assert_eq!(done, CaughtUp { added: 1, changed: 1, moved: 1, deleted: 1, adopted: 0, authorship });
        assert_eq!(texts(&store, "a.md"), ["alpha", "alpha, edited"]);
        assert_eq!(texts(&store, "moved/b.md"), ["beta", "beta 2"]);
        assert!(store.entry("b.md").is_none() && store.entry("c.md").is_none());
        let index = store.index_paths().unwrap();
        let paths: Vec<(&str, bool)> = index.values().map(|(p, d)| (p.as_str(), *d)).collect();
        assert_eq!(paths.len(), 4);
        assert!(paths.contains(&("moved/b.md", false)) && paths.contains(&("c.md", true)));
        assert!(!paths.iter().any(|(p, _)| *p == "b.md"));
    }

    #[test]
    fn line_endings_and_the_byte_order_mark_are_remembered_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store.catch_up(vec![file("w.md", b"\xEF\xBB\xBFone\r\ntwo\r\n".to_vec())]).unwrap();
        let entry = store.entry("w.md").unwrap();
        assert!(entry.crlf && entry.bom);
        assert_eq!(texts(&store, "w.md"), ["one\ntwo\n"]);
        // The same text saved with other line endings changes only the bookkeeping.
        assert!(store.record("w.md", b"one\ntwo\n").unwrap());
        assert_eq!(texts(&store, "w.md").len(), 1);
        assert!(!store.entry("w.md").unwrap().crlf);
    }

    #[test]
    fn a_store_of_a_newer_format_is_refused_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path(), "Ada").unwrap());
        assert_eq!(std::fs::read_to_string(dir.path().join(".loam/format")).unwrap(), "1\n");
        std::fs::write(dir.path().join(".loam/format"), "2\n").unwrap();
        let error = Store::open(dir.path(), "Ada").err().unwrap().to_string();
        assert!(error.contains("newer Loam"), "{error}");
        assert!(Store::open_read_only(dir.path()).is_err());
    }

    #[test]
    fn one_writer_at_a_time_and_readers_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = Store::open(dir.path(), "Ada").unwrap();
        writer.catch_up(notes(&[("a.md", "one")])).unwrap();
        let second = Store::open(dir.path(), "Bob");
        assert!(second.is_err_and(|e| e.to_string().contains("another Loam is recording")));
        let mut reader = Store::open_read_only(dir.path()).unwrap();
        assert_eq!(texts(&reader, "a.md"), ["one"]);
        assert!(reader.record("a.md", b"two").is_err(), "a reader never writes");
        drop(writer);
        assert!(Store::open(dir.path(), "Bob").is_ok(), "the lock goes with its store");
    }

    #[test]
    fn a_file_that_is_not_utf8_is_kept_as_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        let latin1 = b"caf\xe9 au lait\n".to_vec();
        store.catch_up(vec![file("l.md", latin1.clone())]).unwrap();
        let entry = store.entry("l.md").unwrap().clone();
        let doc = DocFiles::new(&store.docs_dir(), &entry.doc).load().unwrap();
        match doc.get(ROOT, "bytes").unwrap() {
            Some((Value::Scalar(value), _)) => assert_eq!(value.as_ref(), &ScalarValue::Bytes(latin1.clone())),
            other => panic!("no bytes in the document: {other:?}"),
        }
        assert!(doc.get(ROOT, "text").unwrap().is_none());
        // Saved again as UTF-8: text from then on, and both versions in the history.
        store.record("l.md", "café au lait\n".as_bytes()).unwrap();
        assert_eq!(texts(&store, "l.md"), ["caf\u{FFFD} au lait\n", "café au lait\n"]);
        store.record("l.md", "café au lait, noir\n".as_bytes()).unwrap();
        assert_eq!(texts(&store, "l.md").last().unwrap(), "café au lait, noir\n");
    }

    #[test]
    fn a_note_larger_than_max_text_is_kept_as_whole_versions_and_as_text_again_below_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        let small = "# Big\n\nsmall at first\n".to_string();
        let large = "[[link]] and words\n".repeat(MAX_TEXT / 19 + 1);
        store.catch_up(notes(&[("big.md", &large), ("grows.md", &small)])).unwrap();
        store.record("grows.md", large.as_bytes()).unwrap();
        for path in ["big.md", "grows.md"] {
            let doc = store.loaded(&store.entry(path).unwrap().doc).unwrap();
            assert!(doc.get(ROOT, "text").unwrap().is_none(), "{path}: a large note is not text");
            assert!(doc.get(ROOT, "bytes").unwrap().is_some(), "{path}: a large note is its bytes");
        }
        assert_eq!(texts(&store, "grows.md"), [small.clone(), large.clone()]);
        // Small again: text, merged by character from then on, and every version in the history.
        store.record("grows.md", small.as_bytes()).unwrap();
        let doc = store.loaded(&store.entry("grows.md").unwrap().doc).unwrap();
        assert!(doc.get(ROOT, "bytes").unwrap().is_none());
        assert_eq!(texts(&store, "grows.md"), [small.clone(), large, small]);
    }

    #[test]
    fn bytes_win_over_a_text_made_beside_them_and_an_edit_leaves_one_of_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store.catch_up(notes(&[("a.md", "text\n")])).unwrap();
        // Elsewhere, at the same time: one device made the note bytes, another edited its text.
        let (files, _) = remote_insert(&store, "a.md", 0, "edited ");
        let mut doc = files.load().unwrap().with_actor(ActorId::random());
        let before = doc.get_heads();
        let mut tx = doc.transaction();
        tx.put(ROOT, "bytes", ScalarValue::Bytes(b"whole\n".to_vec())).unwrap();
        tx.commit();
        assert_eq!(content_at(&doc, &[]).unwrap(), "whole\n");
        let entry = store.entry("a.md").unwrap().clone();
        assert_eq!(file_bytes(&doc, &entry).unwrap(), b"whole\n");
        // The file saved as text afterwards: text only, so that what is written is what was saved.
        let heads = doc.get_heads();
        files.append(&doc, &doc.save_after(&before)).unwrap();
        crate::lock(&store.recent).clear();
        store.local.notes.get_mut("a.md").unwrap().heads = heads.iter().map(|h| h.to_string()).collect();
        store.record("a.md", b"text again\n").unwrap();
        let doc = files.load().unwrap();
        assert!(doc.get(ROOT, "bytes").unwrap().is_none());
        assert_eq!(content_at(&doc, &[]).unwrap(), "text again\n");
    }

    #[test]
    fn an_edit_applies_at_the_heads_of_the_file_and_keeps_changes_not_yet_written_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store.catch_up(notes(&[("a.md", "first line\nsecond line\n")])).unwrap();
        // A change from elsewhere reaches the document but not yet the file.
        let (files, text) = remote_insert(&store, "a.md", 0, "REMOTE ");
        // The author edits the file, which still holds the old text: the remote words must survive.
        store.record("a.md", b"first line\nsecond line, edited\n").unwrap();
        let doc = files.load().unwrap();
        assert_eq!(doc.text(&text).unwrap(), "REMOTE first line\nsecond line, edited\n");
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Texts of a few lines from a small alphabet (so that diffs find common runs), with other scripts.
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![Just("a"), Just("b"), Just(" "), Just("\n"), Just("é"), Just("日"), Just("🙂")],
            0..60,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// A note's first change, built without a transaction, is the change a transaction makes, byte for
        /// byte; Automerge loads it as the same text, and it reads back without loading.
        #[test]
        fn a_first_change_is_the_transactions_own(text in text(), combining in proptest::bool::ANY) {
            let text = if combining { format!("{text}e\u{301}\r\u{0}") } else { text };
            let actor = ActorId::random();
            let change = first_change(&actor, &text, 1_700_000_000, "{}".into());
            let doc = Automerge::load(change.raw_bytes()).unwrap();
            prop_assert_eq!(content_at(&doc, &[]).unwrap(), text.clone());
            prop_assert_eq!(text_of_first_change(&change), Some(text.clone()));

            let mut made = Automerge::new().with_actor(actor);
            let mut tx = made.transaction();
            let object = tx.put_object(ROOT, "text", ObjType::Text).unwrap();
            tx.splice_text(&object, 0, 0, &text).unwrap();
            tx.commit_with(CommitOptions::default().with_message("{}".to_string()).with_time(1_700_000_000));
            let theirs = made.get_changes(&[]).remove(0).decode();
            let ours = change.decode();
            prop_assert_eq!(&ours.operations, &theirs.operations);
            prop_assert_eq!((ours.seq, ours.start_op, ours.deps), (theirs.seq, theirs.start_op, theirs.deps));
            prop_assert_eq!(change.hash(), made.get_changes(&[])[0].hash(), "the very same change, byte for byte");
        }

        #[test]
        fn the_splices_turn_the_old_text_into_the_new(old in text(), new in text()) {
            let edit = diff::splices(&old, &new, Duration::from_secs(1));
            prop_assert_eq!(diff::apply(&old, &edit), new);
        }

        /// A change from elsewhere that the file does not have yet (an insertion of `§`, a character the texts
        /// never hold), then a save of the file: the document ends with the file's text plus that insertion,
        /// whatever the two did.
        #[test]
        fn a_save_keeps_a_concurrent_remote_insertion(
            old in text(),
            new in text(),
            at in 0usize..64,
            remote in 1usize..4,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut store = Store::open(dir.path(), "Ada").unwrap();
            store.catch_up(vec![SourceFile { path: "n.md".into(), bytes: old.clone().into_bytes(), modified: None }]).unwrap();
            let (files, obj) = remote_insert(&store, "n.md", at.min(old.chars().count()), &"§".repeat(remote));

            // A new file can hold the same bytes as the old one; make the save a real one.
            let saved = format!("{new}.");
            store.record("n.md", saved.as_bytes()).unwrap();
            let doc = files.load().unwrap();
            let merged = doc.text(&obj).unwrap();
            prop_assert_eq!(merged.chars().filter(|&c| c == '§').count(), remote);
            prop_assert_eq!(merged.replace('§', ""), saved.clone());
            // Written back, the file holds the merged text, and reading it again records nothing.
            let file = dir.path().join("n.md");
            std::fs::write(&file, &saved).unwrap();
            crate::lock(&store.recent).clear();
            store.write_back("n.md", &file).unwrap();
            let written = std::fs::read(&file).unwrap();
            prop_assert_eq!(String::from_utf8(written.clone()).unwrap(), merged);
            prop_assert!(!store.record("n.md", &written).unwrap());
        }
    }
}
