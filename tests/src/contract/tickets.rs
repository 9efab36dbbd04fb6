//! The `Tickets` role: numbers, idempotency, changes, slots, and the paged lists.

#[allow(unused_imports)]
use super::*;
use balcao_app::ports::order::Shelf;
use balcao_app::ports::{Change, Page, PageRequest, PageSize, QueueQuery};

pub async fn numbers_are_sequential_per_office_and_tickets_read_back(store: Shared) {
    let (a, b) = (demo(0), demo(2));
    store.put_office(&a).await.expect("put");
    store.put_office(&b).await.expect("put");
    let mut numbers = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let compose = draft(&a, now(), None);
        match store.open_request(&a.id, &compose).await.expect("open") {
            Opened::Created(r) => {
                numbers.push(r.number.0);
                last = Some(*r);
            }
            Opened::Replayed(_) | Opened::SlotFull => panic!("no key, no slot"),
        }
    }
    assert_eq!(numbers, vec![1, 2, 3]);
    let other = created(&store, &b, &draft(&b, now(), None)).await;
    assert_eq!(
        other.number,
        TicketNumber(1),
        "each office counts on its own"
    );

    let last = last.expect("opened");
    let ticket = store
        .get_ticket(last.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(ticket.request, last);
    assert_eq!(ticket.events.len(), 1);
    assert_eq!(ticket.events[0].kind, EventKind::Opened);
    assert!(
        store
            .get_ticket(RequestId(Ulid::generate()))
            .await
            .expect("get")
            .is_none()
    );
}

pub async fn a_reused_key_replays_the_first_ticket(store: Shared) {
    let o = demo(0);
    store.put_office(&o).await.expect("put");
    let first = draft(&o, now(), Some("key-1"));
    let original = created(&store, &o, &first).await;
    let second = draft(&o, now() + SignedDuration::from_mins(1), Some("key-1"));
    match store
        .open_request(&o.id, &second)
        .await
        .expect("open again")
    {
        Opened::Replayed(record) => {
            assert_eq!(record.request_id, original.id);
            assert_eq!(record.number, original.number);
        }
        Opened::Created(_) | Opened::SlotFull => {
            panic!("a reused key must not open a second ticket")
        }
    }
    let due = store
        .due_mail(now() + SignedDuration::from_hours(1), 100)
        .await
        .expect("due");
    assert_eq!(due.len(), 1, "one ticket, one mail");
    // After the record expires the key is free again.
    let later = draft(&o, now() + SignedDuration::from_hours(25), Some("key-1"));
    assert!(matches!(
        store.open_request(&o.id, &later).await.expect("open"),
        Opened::Created(_)
    ));
}

pub async fn concurrent_opens_get_distinct_numbers(store: Shared) {
    let o = demo(0);
    store.put_office(&o).await.expect("put");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            let o = o.clone();
            tokio::spawn(async move {
                let compose = draft(&o, now(), None);
                match store.open_request(&o.id, &compose).await.expect("open") {
                    Opened::Created(r) => r.number.0,
                    Opened::Replayed(_) | Opened::SlotFull => panic!("no key, no slot"),
                }
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.expect("task"));
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=20).collect::<Vec<_>>());
}

pub async fn concurrent_opens_with_one_key_open_one_ticket(store: Shared) {
    let o = demo(0);
    store.put_office(&o).await.expect("put");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            let o = o.clone();
            tokio::spawn(async move {
                let compose = draft(&o, now(), Some("same-key"));
                match store.open_request(&o.id, &compose).await.expect("open") {
                    Opened::Created(r) => (true, r.id),
                    Opened::Replayed(rec) => (false, rec.request_id),
                    Opened::SlotFull => panic!("no slot"),
                }
            })
        })
        .collect();
    let mut created = 0;
    let mut ids = BTreeSet::new();
    for t in tasks {
        let (c, id) = t.await.expect("task");
        created += usize::from(c);
        ids.insert(id);
    }
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1);
    assert_eq!(
        store
            .due_mail(now() + SignedDuration::from_hours(1), 100)
            .await
            .expect("due")
            .len(),
        1
    );
}

pub async fn a_change_applies_once_and_a_stale_one_changes_nothing(store: Shared) {
    use balcao_app::ports::Change;
    let o = demo(0);
    store.put_office(&o).await.expect("put");
    let compose = draft(&o, now(), None);
    let r = created(&store, &o, &compose).await;
    let at = now() + SignedDuration::from_mins(5);
    let change = |text: &str, expected: u64, status: Status| {
        let mut next = r.clone();
        next.status = status;
        next.version = expected + 1;
        next.updated_at = at;
        let mut mail = compose(r.number).mails.remove(0);
        mail.id = MailId(Ulid::generate());
        Change {
            request: next,
            expected_version: expected,
            event: Event {
                id: Ulid::generate(),
                seq: expected + 1,
                at,
                kind: EventKind::Message,
                author: Author::Citizen,
                text: text.into(),
                status: None,
                attachments: vec![Attachment {
                    id: Ulid::generate(),
                    name: FileName::parse("relatório final.pdf").expect("name"),
                    size: 123_456,
                    file_type: FileType::Pdf,
                }],
            },
            mails: vec![mail],
            give_back: None,
            tally: None,
        }
    };
    assert!(
        store
            .apply_change(&change("primeira", 1, Status::Cancelled))
            .await
            .expect("apply")
    );
    // Someone who read version 1 too now loses, and writes nothing.
    assert!(
        !store
            .apply_change(&change("atrasada", 1, Status::ClosedByCitizen))
            .await
            .expect("apply")
    );
    let t = store.get_ticket(r.id).await.expect("get").expect("ticket");
    assert_eq!(t.request.version, 2);
    assert_eq!(t.request.status, Status::Cancelled);
    let texts: Vec<&str> = t.events.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts,
        vec!["aberta", "primeira"],
        "history in order, append-only"
    );
    let files: Vec<(&str, u64)> = t.events[1]
        .attachments
        .iter()
        .map(|a| (a.name.as_str(), a.size))
        .collect();
    assert_eq!(
        files,
        vec![("relatório final.pdf", 123_456)],
        "attachments kept with their entry"
    );
    let due = store
        .due_mail(at + SignedDuration::from_hours(1), 100)
        .await
        .expect("due");
    assert_eq!(
        due.len(),
        2,
        "the opening mail and the change's mail; none from the stale change"
    );
}

pub async fn a_slot_holds_its_capacity_and_is_given_back(store: Shared) {
    use balcao_app::ports::Change;
    let (o, other) = (demo(0), demo(1));
    store.put_office(&o).await.expect("put");
    store.put_office(&other).await.expect("put");
    let nine = slot("2026-11-24T09:00", 2);
    let mut held = Vec::new();
    for _ in 0..2 {
        let r = created(&store, &o, &booked(&o, now(), None, Some(nine))).await;
        held.push(r);
    }
    let full = booked(&o, now(), Some("late-key"), Some(nine));
    assert!(matches!(
        store.open_request(&o.id, &full).await.expect("open"),
        Opened::SlotFull
    ));
    // Nothing of the refused one was written: no ticket, no mail, no number, no key.
    let refused = full(TicketNumber(3)).request.id;
    assert!(store.get_ticket(refused).await.expect("get").is_none());
    let due = store
        .due_mail(now() + SignedDuration::from_hours(1), 100)
        .await
        .expect("due");
    assert_eq!(due.len(), 2);
    // Other slots, days and offices count on their own.
    for (office, key) in [
        (&o, "2026-11-24T09:30"),
        (&o, "2026-11-25T09:00"),
        (&other, "2026-11-24T09:00"),
    ] {
        assert!(matches!(
            store
                .open_request(&office.id, &booked(office, now(), None, Some(slot(key, 2))))
                .await
                .expect("open"),
            Opened::Created(_)
        ));
    }
    let third = created(&store, &o, &draft(&o, now(), None)).await;
    assert_eq!(
        third.number,
        TicketNumber(5),
        "the refused booking took no number"
    );
    assert_eq!(
        taken(&store, &o, "2026-11-24", "2026-11-24").await,
        [
            ("2026-11-24T09:00".into(), 2),
            ("2026-11-24T09:30".into(), 1)
        ]
    );
    assert_eq!(taken(&store, &o, "2026-11-24", "2026-11-25").await.len(), 3);
    assert!(
        taken(&store, &o, "2026-11-26", "2026-12-31")
            .await
            .is_empty()
    );

    // Cancelling gives one place back in the same write; a stale change gives nothing.
    let r = &held[0];
    let cancel = |expected: u64| {
        let mut next = r.clone();
        next.status = Status::Cancelled;
        next.version = expected + 1;
        next.slot = None;
        Change {
            request: next,
            expected_version: expected,
            event: Event {
                id: Ulid::generate(),
                seq: expected + 1,
                at: now(),
                kind: EventKind::StatusChanged,
                author: Author::Citizen,
                text: "cancelada".into(),
                status: Some(Status::Cancelled),
                attachments: vec![],
            },
            mails: vec![],
            give_back: Some(nine.key),
            tally: None,
        }
    };
    assert!(store.apply_change(&cancel(1)).await.expect("apply"));
    assert!(!store.apply_change(&cancel(1)).await.expect("stale"));
    assert_eq!(
        taken(&store, &o, "2026-11-24", "2026-11-24").await,
        [
            ("2026-11-24T09:00".into(), 1),
            ("2026-11-24T09:30".into(), 1)
        ]
    );
    // The place given back can be booked again, and a retry of a booking that
    // went through replays it even though the slot is full again.
    let retried = booked(&o, now(), Some("booking-key"), Some(nine));
    let again = created(&store, &o, &retried).await;
    match store.open_request(&o.id, &retried).await.expect("retry") {
        Opened::Replayed(rec) => assert_eq!(rec.request_id, again.id),
        other => panic!("a retry replays, got {other:?}"),
    }
}

/// Many citizens booking the last places of one slot at once (SPEC C4).
pub async fn concurrent_bookings_never_exceed_capacity(store: Shared, attempts: usize) {
    let o = demo(0);
    store.put_office(&o).await.expect("put");
    let claim = slot("2026-11-24T10:00", 3);
    let tasks: Vec<_> = (0..attempts)
        .map(|_| {
            let store = store.clone();
            let o = o.clone();
            tokio::spawn(async move {
                let compose = booked(&o, now(), None, Some(claim));
                store.open_request(&o.id, &compose).await
            })
        })
        .collect();
    let (mut created, mut full, mut other) = (0, 0, Vec::new());
    for t in tasks {
        match t.await.expect("task") {
            Ok(Opened::Created(_)) => created += 1,
            Ok(Opened::SlotFull) => full += 1,
            Ok(Opened::Replayed(_)) => other.push("replayed".to_owned()),
            Err(e) => other.push(e.to_string()),
        }
    }
    assert_eq!(created, 3, "exactly the capacity; others: {other:?}");
    assert_eq!(
        full,
        attempts - 3,
        "every other one is told the slot is full: {other:?}"
    );
    assert_eq!(
        taken(&store, &o, "2026-11-24", "2026-11-24").await,
        [("2026-11-24T10:00".into(), 3)]
    );
    assert_eq!(
        store
            .due_mail(now() + SignedDuration::from_hours(1), 1000)
            .await
            .expect("due")
            .len(),
        3,
        "one confirmation per booking"
    );
}

/// Moves `r` to `status` (rated when `rated`) in one change, as a use case would.
pub async fn move_to(store: &Shared, r: &Request, status: Status, rated: bool) -> Request {
    let at = r.created_at + SignedDuration::from_hours(1);
    let mut next = r.clone();
    next.status = status;
    next.version = r.version + 1;
    next.updated_at = at;
    if rated {
        next.rating = Some(balcao_core::Rating {
            verdict: balcao_core::Verdict::Approved,
            comment: None,
            at,
            moderation: balcao_core::Moderation::Pending,
            moderated_by: None,
        });
    }
    let change = Change {
        request: next.clone(),
        expected_version: r.version,
        event: Event {
            id: Ulid::generate(),
            seq: r.version + 1,
            at,
            kind: EventKind::StatusChanged,
            author: Author::Citizen,
            text: "mudou".into(),
            status: Some(status),
            attachments: vec![],
        },
        mails: vec![],
        give_back: None,
        tally: None,
    };
    assert!(store.apply_change(&change).await.expect("change"));
    next
}

/// Reads a list to its end, `size` at a time, checking every page's size.
async fn every_page<F, Fut>(size: u32, read: F) -> Vec<RequestId>
where
    F: Fn(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Page<Request>>,
{
    let mut page = PageRequest::first(PageSize::new(size).expect("size"));
    let mut ids = Vec::new();
    for _ in 0..200 {
        let found = read(page.clone()).await;
        assert!(
            found.items.len() <= size as usize,
            "a page holds at most its size"
        );
        ids.extend(found.items.iter().map(|r| r.id));
        match found.next {
            Some(next) => page.after = Some(next),
            None => return ids,
        }
    }
    panic!("the list never ended");
}

pub async fn the_queue_ratings_and_pool_read_a_page_at_a_time(store: Shared) {
    let (a, b) = (demo(0), demo(1));
    for o in [&a, &b] {
        store.put_office(o).await.expect("office");
    }
    let t0 = now();
    let mut opened = Vec::new();
    for i in 0..9i64 {
        let base = draft(&a, t0 + SignedDuration::from_mins(i), None);
        // Every third is a legal priority (SPEC S2).
        let compose = move |n| {
            let mut t = base(n);
            t.request.details.priority = i % 3 == 2;
            t
        };
        opened.push(created(&store, &a, &compose).await);
    }
    // Another office's request never shows in this one's lists.
    let other = created(&store, &b, &draft(&b, t0, None)).await;

    let queue = |q: QueueQuery| {
        let store = store.clone();
        let office = a.id.clone();
        move |p: PageRequest| {
            let (store, office, q) = (store.clone(), office.clone(), q.clone());
            async move { store.office_queue(&office, &q, &p).await.expect("queue") }
        }
    };
    let priority_first: Vec<RequestId> = opened
        .iter()
        .filter(|r| r.details.priority)
        .chain(opened.iter().filter(|r| !r.details.priority))
        .map(|r| r.id)
        .collect();
    for size in [1, 2, 4, 9, 50] {
        assert_eq!(
            every_page(size, queue(QueueQuery::default())).await,
            priority_first,
            "priority first, then oldest, pages of {size}"
        );
    }

    // Two concluded (one rated), two released: they leave the open shelf.
    let done = move_to(&store, &opened[0], Status::Concluded, false).await;
    let rated = move_to(&store, &opened[1], Status::Concluded, true).await;
    let released: Vec<Request> = [
        move_to(&store, &opened[3], Status::Released, false).await,
        move_to(&store, &opened[4], Status::Released, false).await,
    ]
    .to_vec();
    let closed = QueueQuery {
        shelf: Shelf::Closed,
        ..QueueQuery::default()
    };
    let mut shelf: Vec<RequestId> = every_page(1, queue(closed.clone())).await;
    shelf.sort();
    let mut expected = vec![done.id, rated.id, released[0].id, released[1].id];
    expected.sort();
    assert_eq!(shelf, expected, "the closed shelf");
    let open = every_page(3, queue(QueueQuery::default())).await;
    assert_eq!(open.len(), 5);
    assert!(!open.iter().any(|id| expected.contains(id)));

    // Filters leave pages short, never wrong; walking them still finds all.
    let received = QueueQuery {
        status: Some(Status::Concluded),
        ..closed.clone()
    };
    let mut found = every_page(1, queue(received)).await;
    found.sort();
    let mut concluded = vec![done.id, rated.id];
    concluded.sort();
    assert_eq!(found, concluded);
    let urgent = QueueQuery {
        priority: Some(true),
        ..QueueQuery::default()
    };
    assert_eq!(
        every_page(2, queue(urgent)).await,
        vec![opened[2].id, opened[5].id, opened[8].id]
    );
    let day = QueueQuery {
        opened: Some((
            t0 + SignedDuration::from_mins(6),
            t0 + SignedDuration::from_mins(8),
        )),
        ..QueueQuery::default()
    };
    assert_eq!(
        every_page(1, queue(day)).await,
        vec![opened[6].id, opened[7].id]
    );

    // Who has each request (issue 15): given in a change, read by the filter.
    let give = |r: &Request, to: Option<&str>| {
        let mut next = r.clone();
        next.version = r.version + 1;
        next.assignee = to.map(str::to_owned);
        Change {
            request: next,
            expected_version: r.version,
            event: Event {
                id: Ulid::generate(),
                seq: r.version + 1,
                at: r.created_at,
                kind: EventKind::Assigned,
                author: Author::Staff { name: "Ana".into() },
                text: "atribuída".into(),
                status: None,
                attachments: vec![],
            },
            mails: vec![],
            give_back: None,
            tally: None,
        }
    };
    for (r, to) in [
        (&opened[5], "atendente-1"),
        (&opened[7], "atendente-1"),
        (&opened[8], "atendente-2"),
    ] {
        assert!(
            store
                .apply_change(&give(r, Some(to)))
                .await
                .expect("assign")
        );
    }
    let of = |who: Option<&str>| QueueQuery {
        assignee: Some(who.map(str::to_owned)),
        ..QueueQuery::default()
    };
    assert_eq!(
        every_page(1, queue(of(Some("atendente-1")))).await,
        vec![opened[5].id, opened[7].id],
        "one attendant's, in the queue's order"
    );
    assert_eq!(
        every_page(2, queue(of(Some("atendente-2")))).await,
        vec![opened[8].id]
    );
    assert_eq!(
        every_page(2, queue(of(None))).await,
        vec![opened[2].id, opened[6].id],
        "the open ones nobody has"
    );
    // Released again: back among nobody's.
    let r8 = store
        .get_ticket(opened[8].id)
        .await
        .expect("get")
        .expect("ticket")
        .request;
    assert!(store.apply_change(&give(&r8, None)).await.expect("release"));
    assert_eq!(
        every_page(2, queue(of(None))).await,
        vec![opened[2].id, opened[8].id, opened[6].id]
    );

    let ratings = every_page(1, |p| {
        let store = store.clone();
        let office = a.id.clone();
        async move { store.office_ratings(&office, &p).await.expect("ratings") }
    })
    .await;
    assert_eq!(ratings, vec![rated.id]);

    let pool = every_page(1, |p| {
        let store = store.clone();
        async move { store.pool(Uf::SP, &p).await.expect("pool") }
    })
    .await;
    assert_eq!(pool, vec![released[0].id, released[1].id], "oldest first");
    assert!(!pool.contains(&other.id));
    let empty = store
        .pool(Uf::AC, &PageRequest::default())
        .await
        .expect("pool");
    assert!(empty.items.is_empty() && empty.next.is_none());
}

/// Search (issue 15): each term finds the office's requests, newest first, a
/// page at a time; other offices' never; a request taken by another office is
/// found there only; an erased one by its number only.
pub async fn requests_are_found_by_each_term_newest_first(store: Shared) {
    use balcao_core::search::SearchQuery;
    let (a, b) = (demo(0), demo(1));
    for o in [&a, &b] {
        store.put_office(o).await.expect("office");
    }
    let t0 = now();
    let joao = (
        "João Pereira",
        "joao@example.com",
        "529.982.247-25",
        Some("2026/000123"),
    );
    let joana = (
        "Joana Pereira Lima",
        "joana@example.com",
        "111.444.777-35",
        None,
    );
    let first = open_as(&store, &a, t0, joao).await;
    let second = open_as(&store, &a, t0 + SignedDuration::from_mins(1), joana).await;
    let third = open_as(&store, &a, t0 + SignedDuration::from_mins(2), joao).await;
    let elsewhere = open_as(&store, &b, t0, (joao.0, joao.1, joao.2, None)).await;

    let find = |office: &Office, q: &str| {
        let (store, office, q) = (
            store.clone(),
            office.id.clone(),
            SearchQuery::parse(q).expect("query"),
        );
        async move {
            let ids = every_page(1, |p| {
                let (store, office, term) = (store.clone(), office.clone(), q.term.clone());
                async move { store.search(&office, &term, &p).await.expect("search") }
            })
            .await;
            let mut kept = Vec::new();
            for id in ids {
                let r = store
                    .get_ticket(id)
                    .await
                    .expect("get")
                    .expect("ticket")
                    .request;
                if q.matches(&r) {
                    kept.push(id);
                }
            }
            kept
        }
    };
    assert_eq!(
        find(&a, "joao").await,
        vec![third.id, first.id],
        "a word, newest first"
    );
    assert_eq!(
        find(&a, "PEREIRA").await,
        vec![third.id, second.id, first.id]
    );
    assert_eq!(
        find(&a, "joana pereira").await,
        vec![second.id],
        "every word"
    );
    assert_eq!(find(&a, "joao@example.com").await, vec![third.id, first.id]);
    assert_eq!(
        find(&a, "52998224725").await,
        vec![third.id, first.id],
        "a CPF unmasked"
    );
    assert_eq!(
        find(&a, "111.444.777-35").await,
        vec![second.id],
        "a CPF masked"
    );
    assert_eq!(
        find(&a, "2026-000123").await,
        vec![third.id, first.id],
        "a protocol"
    );
    assert_eq!(
        find(&a, &format!("nº {}", second.number.0)).await,
        vec![second.id]
    );
    assert_eq!(
        find(&b, "joao").await,
        vec![elsewhere.id],
        "each office its own"
    );

    // Released and taken by office B: found there under its new number only.
    let released = move_to(&store, &first, Status::Released, false).await;
    let taken = {
        let released = released.clone();
        let office = OfficeSnapshot::from(&b);
        move |n: TicketNumber| {
            let mut next = released.clone();
            next.office = office.clone();
            next.number = n;
            next.status = Status::Received;
            next.version = released.version + 1;
            Change {
                request: next,
                expected_version: released.version,
                event: Event {
                    id: Ulid::generate(),
                    seq: released.version + 1,
                    at: released.updated_at,
                    kind: EventKind::StatusChanged,
                    author: Author::Staff { name: "B".into() },
                    text: "assumida".into(),
                    status: Some(Status::Received),
                    attachments: vec![],
                },
                mails: vec![],
                give_back: None,
                tally: None,
            }
        }
    };
    assert!(store.take_request(&b.id, &taken).await.expect("take"));
    assert_eq!(
        find(&a, "joao").await,
        vec![third.id],
        "gone from the office it left"
    );
    let mut there = find(&b, "joao").await;
    there.sort();
    let mut expected = vec![elsewhere.id, first.id];
    expected.sort();
    assert_eq!(there, expected, "found where it went");

    // Erased: its words, e-mail, document and protocol find it no more.
    let t = store
        .get_ticket(third.id)
        .await
        .expect("get")
        .expect("ticket");
    let erased = balcao_core::erasure::erase(
        &t.request,
        &t.events,
        balcao_core::erasure::ErasureReason::Requested,
        Ulid::generate(),
        now(),
    )
    .expect("erasable");
    assert!(store.erase_request(&erased, &[]).await.expect("erase"));
    for q in ["joao", "joao@example.com", "52998224725", "2026000123"] {
        assert!(
            !find(&a, q).await.contains(&third.id),
            "{q} still finds the erased request"
        );
    }
    assert_eq!(
        find(&a, &third.number.0.to_string()).await,
        vec![third.id],
        "its number still does"
    );

    // The export's range (issue 15): the office's requests opened in
    // `[from, to)`, oldest first, a page at a time; erased ones kept as the
    // office's record, taken ones under the office that has them.
    let opened = |office: &Office, from: Timestamp, to: Timestamp| {
        let (store, office) = (store.clone(), office.id.clone());
        every_page(1, move |p| {
            let (store, office) = (store.clone(), office.clone());
            async move {
                store
                    .opened_between(&office, from, to, &p)
                    .await
                    .expect("opened between")
            }
        })
    };
    let minute = SignedDuration::from_mins(1);
    assert_eq!(
        opened(&a, t0, t0 + minute * 3).await,
        vec![second.id, third.id]
    );
    assert_eq!(
        opened(&a, t0 + minute, t0 + minute * 2).await,
        vec![second.id],
        "the end is not included"
    );
    assert!(
        opened(&a, t0 + minute * 3, t0 + minute * 60)
            .await
            .is_empty()
    );
    let mut there = opened(&b, t0, t0 + SignedDuration::from_millis(1)).await;
    there.sort();
    assert_eq!(there, expected, "the taken one where it went");
}

/// A request of `office` opened at `at` by (name, e-mail, document, protocol).
async fn open_as(
    store: &Shared,
    office: &Office,
    at: Timestamp,
    (name, email, doc, protocol): (&str, &str, &str, Option<&str>),
) -> Request {
    let base = draft(office, at, None);
    let citizen = Citizen {
        name: PersonName::parse(name).expect("name"),
        email: Email::parse(email).expect("email"),
        document: Some(Document::parse(doc).expect("doc")),
        mobile: None,
    };
    let protocol = protocol.map(|p| balcao_core::ProtocolNumber::parse(p).expect("protocol"));
    let compose = move |n| {
        let mut t = base(n);
        t.request.citizen = Some(citizen.clone());
        t.request.details.protocol = protocol.clone();
        t
    };
    created(store, office, &compose).await
}

/// Counters (issue 15): what an opening and a change count is added to the
/// office's day in the same write; a stale change adds nothing; a range
/// reads the days in it only.
pub async fn changes_count_on_their_office_s_day(store: Shared) {
    use balcao_core::report::Tally;
    let (a, b) = (demo(0), demo(1));
    for o in [&a, &b] {
        store.put_office(o).await.expect("office");
    }
    let day = jiff::civil::date(2026, 11, 2);
    let t0 = now();
    let counted = |extra: &[(&str, i64)], minutes: Option<i64>| Tally {
        day,
        counts: extra.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect(),
        first_reply_minutes: minutes,
    };
    let first = open_counted(&store, &a, t0).await;
    let second = open_counted(&store, &a, t0).await;
    created(&store, &b, &draft(&b, t0, None)).await;
    let change = |r: &Request, tally: Tally| {
        let mut next = r.clone();
        next.version = r.version + 1;
        Change {
            request: next,
            expected_version: r.version,
            event: Event {
                id: Ulid::generate(),
                seq: r.version + 1,
                at: t0,
                kind: EventKind::Message,
                author: Author::Staff { name: "Ana".into() },
                text: "resposta".into(),
                status: None,
                attachments: vec![],
            },
            mails: vec![],
            give_back: None,
            tally: Some(tally),
        }
    };
    let c1 = change(&first, counted(&[("reply_met", 1)], Some(30)));
    assert!(store.apply_change(&c1).await.expect("change"));
    let c2 = change(&second, counted(&[("reply_missed", 1)], Some(90)));
    assert!(store.apply_change(&c2).await.expect("change"));
    // Stale: nothing written, nothing counted.
    assert!(!store.apply_change(&c2).await.expect("stale"));
    let days = store
        .office_days(
            &a.id,
            jiff::civil::date(2026, 11, 1),
            jiff::civil::date(2026, 11, 30),
        )
        .await
        .expect("days");
    assert_eq!(days.len(), 1, "{days:?}");
    let d = &days[0];
    assert_eq!(d.day, day);
    assert_eq!(d.counts.get("opened"), Some(&2));
    assert_eq!(d.counts.get("opened:contato"), Some(&2));
    assert_eq!(d.counts.get("reply_met"), Some(&1));
    assert_eq!(d.counts.get("reply_missed"), Some(&1));
    let mut minutes = d.first_reply_minutes.clone();
    minutes.sort_unstable();
    assert_eq!(minutes, vec![30, 90]);
    assert!(
        store
            .office_days(
                &a.id,
                jiff::civil::date(2026, 11, 3),
                jiff::civil::date(2026, 11, 30)
            )
            .await
            .expect("days")
            .is_empty(),
        "outside the range"
    );
    assert!(
        store
            .office_days(
                &b.id,
                jiff::civil::date(2026, 11, 1),
                jiff::civil::date(2026, 11, 30)
            )
            .await
            .expect("days")
            .is_empty(),
        "another office counted nothing here"
    );
}

/// A request of `office` whose opening counts on 2 November 2026.
async fn open_counted(store: &Shared, office: &Office, at: Timestamp) -> Request {
    let base = draft(office, at, None);
    let compose = move |n| {
        let mut t = base(n);
        t.tally = Some(balcao_core::report::Tally {
            day: jiff::civil::date(2026, 11, 2),
            counts: vec![("opened".into(), 1), ("opened:contato".into(), 1)],
            first_reply_minutes: None,
        });
        t
    };
    created(store, office, &compose).await
}
