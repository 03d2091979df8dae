//! The interner's ids, references, short value cache and flushes.

use super::*;

/// Releases `id`, giving its bytes.
fn take(interner: &mut Interner, id: Id) -> Vec<u8> {
    let bytes = interner.bytes(id).to_vec();
    interner.release(id);
    bytes
}

#[test]
fn bytes_loaded_pack_as_bytes_one_at_a_time() {
    let text = b"\x01\x80abc\xffdef";
    for start in 0..text.len() {
        for end in start..=text.len().min(start + SHORT) {
            let b = &text[start..end];
            assert_eq!(pack_loaded(b), pack(b), "{b:?}");
        }
    }
}

#[test]
fn an_entry_is_sixteen_bytes() {
    assert_eq!(std::mem::size_of::<Entry>(), 16);
}

#[test]
fn same_text_same_id_and_freed_with_the_last_reference() {
    let mut interner = Interner::default();
    let (a, fresh) = interner.intern(b"a");
    assert!(fresh);
    assert_eq!(interner.intern(b"a"), (a, false));
    let (b, _) = interner.intern(b"b");
    assert_ne!(a, b);
    interner.acquire(a);
    interner.acquire(a);
    assert_eq!(take(&mut interner, a), b"a");
    assert_eq!(interner.len(), 2);
    assert_eq!(take(&mut interner, a), b"a");
    assert_eq!(interner.len(), 1);
    // The freed id is reused, and the old text is gone.
    let (c, fresh) = interner.intern(b"c");
    assert!(fresh);
    assert_eq!(c, a);
    assert_eq!(interner.bytes(c), b"c");
    assert_eq!(interner.intern(b"b").0, b);
}

#[test]
fn the_short_value_cache_never_answers_for_a_freed_value() {
    let mut interner = Interner::default();
    let (a, _) = interner.intern(b"7");
    interner.acquire(a);
    assert_eq!(interner.intern(b"7"), (a, false), "from the cache");
    assert_eq!(take(&mut interner, a), b"7");
    // The id is free; the next value takes it, and "7" is new again.
    let (eight, fresh) = interner.intern(b"8");
    assert!(fresh);
    assert_eq!(eight, a);
    let (seven, fresh) = interner.intern(b"7");
    assert!(fresh, "not the stale cache entry");
    assert_ne!(seven, eight);
    assert_eq!(interner.bytes(eight), b"8");
    assert_eq!(interner.bytes(seven), b"7");
    // Same bytes, other lengths: distinct values.
    let (plain, _) = interner.intern(b"a");
    let (nul, _) = interner.intern(b"a\0");
    assert_ne!(plain, nul);
}

#[test]
fn short_keys_tell_every_short_value_apart() {
    let mut seen = std::collections::HashMap::new();
    let alphabet = [
        "", "a", "b", "ab", "ba", "aa", "abc", "acb", "bac", "abcd", "abdc", "dbca",
    ];
    for text in alphabet
        .iter()
        .copied()
        .chain(["12345", "12354", "1234567", "12345678", "82345671"])
    {
        let (key, len, _) = short_key(text.as_bytes()).unwrap();
        assert_eq!(seen.insert((key, len), text), None, "{text:?} collides");
    }
    assert!(short_key(b"123456789").is_none());
}

#[test]
fn a_string_key_interned_in_place_is_the_key_written_out() {
    let mut interner = Interner::default();
    for text in [
        "", "a", "7", "user123", "1234567", "12345678", "héllo", "\0",
    ] {
        let mut key = Vec::new();
        crate::engine::key::encode_string(text.as_bytes(), true, &mut key);
        let in_place = interner.intern_string_key(text.as_bytes());
        assert_eq!(in_place.is_some(), key.len() <= SHORT, "{text:?}");
        let written = interner.intern(&key);
        if let Some((id, _)) = in_place {
            assert_eq!(id, written.0, "{text:?}");
            assert!(!written.1, "{text:?} was interned already");
            assert_eq!(interner.bytes(id), key, "{text:?}");
        }
        // The same string given as the word it loads as.
        if text.len() < SHORT {
            let mut word = [0; SHORT];
            word[..text.len()].copy_from_slice(text.as_bytes());
            let word = u64::from_le_bytes(word);
            let as_word = interner.intern_short_string_key(word, text.len());
            assert_eq!(as_word, (written.0, false), "{text:?}");
        }
    }
}

#[test]
fn unused_values_are_freed_once() {
    let mut interner = Interner::default();
    let (late, _) = interner.intern(b"late");
    interner.release_if_unused(late);
    interner.release_if_unused(late);
    assert_eq!(interner.len(), 0);
    assert_eq!(interner.free.len(), 1);
    let (kept, _) = interner.intern(b"kept");
    interner.acquire(kept);
    interner.release_if_unused(kept);
    assert_eq!(interner.len(), 1);
}

/// Strings a flush removes are gone (interned again, they are new, and the short value
/// cache does not answer for them); the rest keep their ids, however many were released.
#[test]
fn a_flush_removes_what_was_released_later_and_nothing_else() {
    for (strings, released) in [(1000, 900), (1000, 50), (40, 40), (3, 1)] {
        let mut interner = Interner::default();
        let text = |i: usize| -> Vec<u8> {
            if i.is_multiple_of(3) {
                format!("a long string, number {i}").into_bytes()
            } else {
                i.to_string().into_bytes()
            }
        };
        let ids: Vec<Id> = (0..strings)
            .map(|i| {
                let (id, fresh) = interner.intern(&text(i));
                assert!(fresh);
                interner.acquire(id);
                id
            })
            .collect();
        // The first `released` go: some held twice (not gone), one taken back before the
        // flush (not gone either).
        for (i, &id) in ids.iter().enumerate().take(released) {
            if i % 10 == 1 {
                interner.acquire(id);
            }
            interner.release_later(id);
        }
        interner.acquire(ids[0]);
        interner.flush_releases();
        let gone = |i: usize| i < released && i != 0 && i % 10 != 1;
        let kept = (0..strings).filter(|&i| !gone(i)).count();
        assert_eq!(
            interner.len(),
            kept,
            "{strings} strings, {released} released"
        );
        assert_eq!(
            interner.free.len(),
            strings - kept,
            "the removed ids are free"
        );
        let long: usize = (0..strings)
            .filter(|&i| !gone(i) && i % 3 == 0)
            .map(|i| text(i).len())
            .sum();
        assert_eq!(interner.long_bytes, long);
        assert!(interner.released.is_empty());
        for (i, &id) in ids.iter().enumerate() {
            let (found, fresh) = interner.intern(&text(i));
            if gone(i) {
                assert!(fresh, "{i} was removed");
            } else {
                assert_eq!((found, fresh), (id, false), "{i} was kept");
            }
            assert_eq!(interner.bytes(found), text(i));
        }
    }
}

#[test]
fn short_and_long_strings_keep_their_ids_while_held_and_through_growth() {
    // A model: what each held string's id is, and its references.
    let mut interner = Interner::default();
    let mut held = std::collections::HashMap::<Vec<u8>, (Id, u32)>::new();
    let mut seed = 7u64;
    for step in 0..20_000u32 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let n = (seed >> 33) % 3000;
        // Short (up to eight bytes) and long strings, and some that differ only in length.
        let text = match n % 3 {
            0 => n.to_string().into_bytes(),
            1 => format!("a longer string {n}").into_bytes(),
            _ => vec![0; (n % 12) as usize],
        };
        let (id, fresh) = interner.intern(&text);
        assert_eq!(interner.bytes(id), &text[..]);
        if let Some((known, refs)) = held.get_mut(&text) {
            assert_eq!((*known, fresh), (id, false), "{text:?}");
            if step % 2 == 0 {
                *refs -= 1;
                interner.release(id);
                if *refs == 0 {
                    held.remove(&text);
                }
            } else {
                *refs += 1;
                interner.acquire(id);
            }
        } else {
            assert!(fresh, "{text:?}");
            interner.acquire(id);
            held.insert(text, (id, 1));
        }
        assert_eq!(interner.len(), held.len());
    }
    let long: usize = held.keys().filter(|t| t.len() > SHORT).map(Vec::len).sum();
    assert_eq!(interner.long_bytes, long);
    for (text, (id, _)) in &held {
        assert_eq!(interner.intern(text), (*id, false));
    }
}
