//! A request form in any of the three encodings the contract allows
//! (urlencoded, JSON, multipart) decoded into fields, read into a raw form and
//! checked against a service whose field rules the input chooses. A form that
//! passes has every required field and none of the hidden ones, and its
//! appointment (if any) is a slot the office offers.
//!
//! Input: byte 0 picks the encoding (low 2 bits) and whether the form names
//! the chosen service with consent (bit 7); bytes 1–4 set four field rules;
//! the rest is the body (multipart boundary `BALCAO`).
#![no_main]

use balcao_core::booking::Booking;
use balcao_core::{FieldRule, FormField, RawRequestForm, ValidRequestForm};
use balcao_fuzz::{instant, office};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [control, r1, r2, r3, r4, body @ ..] = data else {
        return;
    };
    let mut office = office();
    let chosen = usize::from(control >> 2 & 0x7) % office.services.len();
    for r in [r1, r2, r3, r4] {
        let field = FormField::ALL[usize::from(r >> 2) % FormField::ALL.len()];
        let rule =
            [FieldRule::Required, FieldRule::Optional, FieldRule::Hidden][usize::from(r & 3) % 3];
        if let Ok(rules) = office.services[chosen].fields.with(field, rule) {
            office.services[chosen].fields = rules;
        }
    }
    let content_type = match control & 3 {
        0 => "application/x-www-form-urlencoded",
        1 => "application/json",
        _ => "multipart/form-data; boundary=BALCAO",
    };
    let Ok(req) = http::Request::builder()
        .method("POST")
        .header("content-type", content_type)
        .body(lambda_http::Body::Binary(body.to_vec()))
    else {
        return;
    };
    let Ok(fields) = futures_executor::block_on(balcao_web::forms::body(&req)) else {
        return;
    };
    let Ok(mut raw) = fields.into_form::<RawRequestForm>() else {
        return;
    };
    if control & 0x80 != 0 {
        raw.service = Some(office.services[chosen].id.to_string());
        raw.consent = Some("on".into());
    }
    let now = instant(u32::from(*r1) << 16 | u32::from(*r2) << 8 | u32::from(*r3));
    let Ok(valid) = ValidRequestForm::parse(&raw, &office, now) else {
        return;
    };
    let rules = &valid.service.fields;
    let d = &valid.details;
    let c = &valid.citizen;
    for (field, present) in [
        (FormField::Document, c.document.is_some()),
        (FormField::Mobile, c.mobile.is_some()),
        (FormField::Protocol, d.protocol.is_some()),
        (FormField::Sector, d.sector.is_some()),
        (FormField::Attendant, d.attendant.is_some()),
        (FormField::Message, d.message.is_some()),
    ] {
        match rules.rule(field) {
            FieldRule::Required => assert!(present, "{field:?} required but absent"),
            FieldRule::Hidden => assert!(!present, "{field:?} hidden but kept"),
            FieldRule::Optional => {}
        }
    }
    if rules.rule(FormField::Date) == FieldRule::Required
        && rules.rule(FormField::Time) == FieldRule::Required
    {
        assert!(valid.appointment.is_some(), "date and time required");
    }
    if let Some(a) = &valid.appointment {
        assert!(
            Booking::for_office(&office)
                .check(a.date, a.time, now)
                .is_ok(),
            "an accepted appointment is a slot the office offers"
        );
    }
    // A valid form's values are valid again when read back.
    assert!(balcao_core::Email::parse(c.email.as_str()).as_ref() == Ok(&c.email));
});
