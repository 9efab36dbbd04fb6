//! Email that knows when it fails (issue 13): SES's bounce and complaint events
//! give the mail up, stop the address and tell the request's staff (never the
//! citizen's page); the courier gives up on refused sends at once and on failing
//! ones after its cap, with jittered backoff in between.

use async_trait::async_trait;
use balcao_app::courier::{Courier, Delivery, RetryPolicy};
use balcao_app::mail_failures::Undelivered;
use balcao_app::ports::{MailError, MailId, Mailer, OutboxMail, Ticket};
use balcao_app::{App, Clock, Offices, Outbox, Store, Tickets, open_request};
use balcao_aws::SesMailer;
use balcao_bench::journey::ses_event;
use balcao_core::{EventKind, RawRequestForm};
use balcao_web::views::TicketView;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}@example.com",
        ulid::Ulid::generate().to_string().to_lowercase()
    )
}

/// Opens a contact request from `email`; answers the request and its mail to the citizen.
async fn open(app: &App, store: &dyn Store, email: &str) -> (Ticket, MailId) {
    let office = balcao_local::seed::demo_offices().remove(0);
    let raw = RawRequestForm {
        service: Some("contato".into()),
        name: Some("Lúcia Prado".into()),
        email: Some(email.into()),
        // Each opening its own question: the same text again is the same request.
        message: Some(format!("Qual o prazo? ({})", ulid::Ulid::generate())),
        consent: Some("true".into()),
        ..Default::default()
    };
    let opened = open_request::open(app, office.id.as_str(), &raw, &[], None)
        .await
        .expect("opened");
    let due = store
        .due_mail(app.clock.now() + jiff::SignedDuration::from_mins(1), 100)
        .await
        .expect("due");
    let mut mine = None;
    for id in due {
        let m = store.get_mail(id).await.expect("get").expect("mail");
        if m.to.as_str() == email {
            mine = Some(id);
        }
    }
    let ticket = store
        .get_ticket(opened.id)
        .await
        .expect("read")
        .expect("ticket");
    (ticket, mine.expect("a mail to the citizen"))
}

async fn history(store: &dyn Store, t: &Ticket) -> Vec<balcao_core::Event> {
    store
        .get_ticket(t.request.id)
        .await
        .expect("read")
        .expect("ticket")
        .events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounce_gives_the_mail_up_stops_the_address_and_tells_only_staff() {
    let store = Arc::new(balcao_tests::fresh_dynamo_store().await);
    for o in balcao_local::seed::demo_offices() {
        store.put_office(&o).await.expect("office");
    }
    let app = balcao_tests::app_over(store.clone());
    let ses = balcao_tests::ses_client();
    ses.create_email_identity()
        .email_identity("balcao@example.com")
        .send()
        .await
        .expect("identity");
    let courier = Courier {
        outbox: store.clone(),
        mailer: Arc::new(SesMailer::new(ses, "balcao@example.com", None)),
        app: app.clone(),
        policy: RetryPolicy::default(),
    };
    let email = unique("devolve");
    let (ticket, mail) = open(&app, &*store, &email).await;
    assert_eq!(
        courier.deliver(mail).await.expect("deliver"),
        Delivery::Sent
    );

    // A transient bounce: the mail did not arrive, but the address may work later.
    let other = unique("cheia");
    let (soft_ticket, soft_mail) = open(&app, &*store, &other).await;
    courier.deliver(soft_mail).await.expect("deliver");
    let soft = ses_event(&soft_mail.to_string(), &other, "Transient");
    balcao_aws::mail_events::handle(&app, &*store, soft)
        .await
        .expect("event");
    let (_, again) = open(&app, &*store, &other).await;
    assert_eq!(
        courier.deliver(again).await.expect("deliver"),
        Delivery::Sent,
        "a soft bounce does not stop the address"
    );
    assert!(
        history(&*store, &soft_ticket)
            .await
            .iter()
            .any(|e| e.kind == EventKind::MailUndelivered),
        "staff still learn that this mail did not arrive"
    );

    // SES says the mailbox does not exist: a permanent bounce, delivered twice.
    let event = ses_event(&mail.to_string(), &email, "Permanent");
    for _ in 0..2 {
        let out = balcao_aws::mail_events::handle(&app, &*store, event.clone())
            .await
            .expect("event handled");
        assert_eq!(out["undelivered"], "bounced");
    }
    let kept = store.get_mail(mail).await.expect("get").expect("mail");
    assert!(kept.undelivered_at.is_some());
    assert!(
        kept.last_error
            .as_deref()
            .unwrap_or("")
            .starts_with("bounced")
    );
    let events = history(&*store, &ticket).await;
    let told: Vec<_> = events
        .iter()
        .filter(|e| e.kind == EventKind::MailUndelivered)
        .collect();
    assert_eq!(told.len(), 1, "one entry, however often SES tells");
    assert!(
        told[0].text.contains("E-mail não entregue"),
        "{}",
        told[0].text
    );
    assert!(!told[0].text.contains(&email), "the address is masked");
    let t = store
        .get_ticket(ticket.request.id)
        .await
        .expect("read")
        .expect("ticket");
    let staff = serde_json::to_string(&TicketView::for_staff(&t)).expect("json");
    let citizen = serde_json::to_string(&TicketView::from(&t)).expect("json");
    assert!(staff.contains("E-mail não entregue"), "staff see it");
    assert!(
        !citizen.contains("E-mail não entregue"),
        "the citizen's page does not"
    );

    // The next mail to that address is not sent at all.
    let sent_before = balcao_tests::ses_sent_to(&email).await;
    let (_, next) = open(&app, &*store, &email).await;
    assert_eq!(
        courier.deliver(next).await.expect("deliver"),
        Delivery::Undelivered(Undelivered::Suppressed)
    );
    assert_eq!(balcao_tests::ses_sent_to(&email).await, sent_before);
    let due = store
        .due_mail(app.clock.now() + jiff::SignedDuration::from_hours(48), 1000)
        .await
        .expect("due");
    assert!(
        !due.contains(&next) && !due.contains(&mail),
        "nothing left to retry"
    );

    // A complaint stops the address too.
    let grumpy = unique("spam");
    let (_, m) = open(&app, &*store, &grumpy).await;
    courier.deliver(m).await.expect("deliver");
    let mut complaint = ses_event(&m.to_string(), &grumpy, "Permanent");
    complaint["detail"]["eventType"] = "Complaint".into();
    balcao_aws::mail_events::handle(&app, &*store, complaint)
        .await
        .expect("event");
    let (_, m2) = open(&app, &*store, &grumpy).await;
    assert_eq!(
        courier.deliver(m2).await.expect("deliver"),
        Delivery::Undelivered(Undelivered::Suppressed)
    );
}

/// The mail provider as it behaves on a bad day: refusing, or unreachable.
struct Provider {
    refuse: bool,
    calls: AtomicU32,
}

#[async_trait]
impl Mailer for Provider {
    async fn send(&self, _: &OutboxMail) -> Result<String, MailError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.refuse {
            Err(MailError::Rejected("MessageRejected".into()))
        } else {
            Err(MailError::Unavailable("ServiceUnavailable".into()))
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_sends_are_given_up_at_once_and_failing_ones_after_the_cap() {
    let store = Arc::new(balcao_embedded::SqliteStore::in_memory().expect("db"));
    for o in balcao_local::seed::demo_offices() {
        store.put_office(&o).await.expect("office");
    }
    let clock = Arc::new(balcao_embedded::ManualClock::new(jiff::Timestamp::now()));
    let mut app = balcao_tests::app_over(store.clone());
    app.clock = clock.clone();

    let refusing = Arc::new(Provider {
        refuse: true,
        calls: AtomicU32::new(0),
    });
    let courier = Courier {
        outbox: store.clone(),
        mailer: refusing.clone(),
        app: app.clone(),
        policy: RetryPolicy::default(),
    };
    let (ticket, mail) = open(&app, &*store, &unique("recusa")).await;
    assert_eq!(
        courier.deliver(mail).await.expect("deliver"),
        Delivery::Undelivered(Undelivered::Rejected)
    );
    assert_eq!(
        refusing.calls.load(Ordering::SeqCst),
        1,
        "no retry of a refusal"
    );
    assert!(
        history(&*store, &ticket)
            .await
            .iter()
            .any(|e| e.kind == EventKind::MailUndelivered && e.text.contains("recusou"))
    );

    let down = Arc::new(Provider {
        refuse: false,
        calls: AtomicU32::new(0),
    });
    let policy = RetryPolicy {
        max_attempts: 4,
        ..RetryPolicy::default()
    };
    let courier = Courier {
        mailer: down.clone(),
        policy,
        ..courier
    };
    let (ticket, mail) = open(&app, &*store, &unique("fora")).await;
    let mut waits = Vec::new();
    let mut outcome = Delivery::AlreadyHandled;
    for _ in 0..10 {
        let before = clock.now();
        outcome = courier.deliver(mail).await.expect("deliver");
        if outcome != Delivery::Failed("serviço de e-mail indisponível: ServiceUnavailable".into())
        {
            break;
        }
        let m = store.get_mail(mail).await.expect("get").expect("mail");
        waits.push(m.next_attempt_at.duration_since(before));
        clock.set(m.next_attempt_at);
    }
    assert_eq!(outcome, Delivery::Undelivered(Undelivered::GaveUp));
    assert_eq!(down.calls.load(Ordering::SeqCst), 4, "exactly the cap");
    // Each wait lies between half and all of the doubling backoff: 5 s, 10 s, 20 s.
    assert_eq!(waits.len(), 3, "{waits:?}");
    for (i, w) in waits.iter().enumerate() {
        let full = 5.0 * f64::from(1u32 << i);
        let s = w.as_secs_f64();
        assert!(
            s >= full / 2.0 - 0.01 && s <= full + 0.01,
            "wait {i}: {s} s of {full} s"
        );
    }
    assert!(
        history(&*store, &ticket)
            .await
            .iter()
            .any(|e| e.kind == EventKind::MailUndelivered),
        "staff are told"
    );
    let due = store
        .due_mail(clock.now() + jiff::SignedDuration::from_hours(48), 100)
        .await
        .expect("due");
    assert!(!due.contains(&mail), "given up: no more retries");
}
