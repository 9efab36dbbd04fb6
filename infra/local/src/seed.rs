//! Demo offices written on first start: three UFs, three time zones, every
//! kind of service, sectors and attendants.

use balcao_core::office::{parse_cep, parse_cns, parse_time_zone};
use balcao_core::{
    Attendant, Email, FieldRule, FieldRules, FormField, Mobile, Notifications, Office, OfficeId,
    OpeningHours, PrivacyNotice, Sector, Service, ServiceId, ServiceKind, Uf,
};
use jiff::civil::{Time, Weekday};

pub const PRIVACY_TEXT: &str = "Os dados informados neste formulário (nome, e-mail, CPF ou CNPJ, celular, \
protocolo e mensagens) são tratados pela serventia somente para prestar o atendimento solicitado, \
nos termos da Lei nº 13.709/2018 (LGPD). Eles ficam guardados enquanto durar o atendimento e pelo \
prazo legal de guarda; você pode pedir acesso, correção ou exclusão pelo e-mail da serventia.";

struct Demo {
    id: &'static str,
    name: &'static str,
    uf: Uf,
    city: &'static str,
    cns: &'static str,
    officer: &'static str,
    address: &'static str,
    cep: &'static str,
    phone: &'static str,
    email: &'static str,
    whatsapp: &'static str,
    timezone: &'static str,
    lunch_break: bool,
}

const DEMOS: &[Demo] = &[
    Demo {
        id: "1-tabeliao-notas-sao-paulo",
        name: "1º Tabelião de Notas de São Paulo",
        uf: Uf::SP,
        city: "São Paulo",
        cns: "123456",
        officer: "Ana Beatriz Figueiredo",
        address: "Rua Líbero Badaró, 100, Centro",
        cep: "01008-000",
        phone: "(11) 3333-1000",
        email: "atendimento@1tabeliao-sp.example.com",
        whatsapp: "(11) 98888-1000",
        timezone: "America/Sao_Paulo",
        lunch_break: false,
    },
    Demo {
        id: "registro-imoveis-campinas",
        name: "2º Registro de Imóveis de Campinas",
        uf: Uf::SP,
        city: "Campinas",
        cns: "112233",
        officer: "Carlos Henrique Prado",
        address: "Av. Francisco Glicério, 1200, Centro",
        cep: "13012-100",
        phone: "(19) 3232-2000",
        email: "contato@2ri-campinas.example.com",
        whatsapp: "(19) 99777-2000",
        timezone: "America/Sao_Paulo",
        lunch_break: true,
    },
    Demo {
        id: "tabelionato-porto-velho",
        name: "Tabelionato de Notas de Porto Velho",
        uf: Uf::RO,
        city: "Porto Velho",
        cns: "654321",
        officer: "Marcos Antônio Lima",
        address: "Av. Sete de Setembro, 500, Centro",
        cep: "76801-086",
        phone: "(69) 3212-9520",
        email: "atendimento@tabelionato-pvh.example.com",
        whatsapp: "(69) 99999-9520",
        timezone: "America/Porto_Velho",
        lunch_break: true,
    },
    Demo {
        id: "cartorio-civil-salvador",
        name: "Cartório do Registro Civil de Salvador",
        uf: Uf::BA,
        city: "Salvador",
        cns: "778899",
        officer: "Joana Conceição Santos",
        address: "Rua Chile, 20, Centro Histórico",
        cep: "40020-000",
        phone: "(71) 3625-5007",
        email: "balcao@civil-salvador.example.com",
        whatsapp: "(71) 98823-0376",
        timezone: "America/Bahia",
        lunch_break: false,
    },
];

fn id(s: &str) -> ServiceId {
    ServiceId::parse(s).expect("seed ids are slugs")
}

fn service(
    sid: &str,
    kind: ServiceKind,
    name: &str,
    description: &str,
    overrides: &[(FormField, FieldRule)],
) -> Service {
    Service {
        id: id(sid),
        kind,
        name: name.to_owned(),
        description: description.to_owned(),
        fields: FieldRules::for_kind(kind, overrides)
            .expect("seed field rules keep name and email required"),
        checklist: checklist(kind),
        // Seeds 004 and 001: certificates start within 15 business minutes; the
        // virtual counter answers within 24 business hours.
        start_window_minutes: (kind == ServiceKind::Certificate).then_some(15),
        response_window_hours: (kind == ServiceKind::Contact).then_some(24),
    }
}

/// What staff confirm during analysis, per kind of service (seeds 002 and 004).
fn checklist(kind: ServiceKind) -> Vec<String> {
    let steps: &[&str] = match kind {
        ServiceKind::Certificate => &[
            "CPF regular na Receita Federal",
            "Dados conferidos na base da Senatran",
            "Celular e e-mail confirmados para a videoconferência",
        ],
        ServiceKind::Appointment => &[
            "Documento de identificação informado",
            "Data e horário dentro do expediente",
        ],
        ServiceKind::ProtocolLookup => &["Protocolo localizado", "CPF confere com o protocolo"],
        ServiceKind::Contact => &["Formulário completo"],
        ServiceKind::Whatsapp => &[],
    };
    steps.iter().map(|s| (*s).to_owned()).collect()
}

fn hours(lunch_break: bool) -> Vec<OpeningHours> {
    if !lunch_break {
        return OpeningHours::default_week();
    }
    use Weekday::*;
    let t = |h, m| Time::constant(h, m, 0, 0);
    [Monday, Tuesday, Wednesday, Thursday, Friday]
        .into_iter()
        .flat_map(|d| {
            [
                OpeningHours::new(d, t(8, 0), t(12, 0)).expect("valid period"),
                OpeningHours::new(d, t(13, 0), t(17, 0)).expect("valid period"),
            ]
        })
        .collect()
}

/// The demo offices. Built through the domain's parsers so seed data obeys the same rules.
pub fn demo_offices() -> Vec<Office> {
    use FieldRule::*;
    use FormField as F;
    DEMOS
        .iter()
        .map(|d| Office {
            id: OfficeId::parse(d.id).expect("seed id"),
            name: d.name.to_owned(),
            uf: d.uf,
            city: d.city.to_owned(),
            cns: parse_cns(d.cns).expect("seed CNS"),
            officer: d.officer.to_owned(),
            address: d.address.to_owned(),
            cep: parse_cep(d.cep).expect("seed CEP"),
            phone: d.phone.to_owned(),
            email: Email::parse(d.email).expect("seed email"),
            whatsapp: Some(Mobile::parse(d.whatsapp).expect("seed mobile")),
            timezone: parse_time_zone(d.timezone).expect("seed time zone"),
            hours: hours(d.lunch_break),
            services: vec![
                service(
                    "contato",
                    ServiceKind::Contact,
                    "Contato",
                    "Tire dúvidas pontuais com o cartório.",
                    &[(F::Attendant, Hidden)],
                ),
                service(
                    "agendamento",
                    ServiceKind::Appointment,
                    "Agendamento de Atendimento",
                    "Agende um atendimento presencial ou por videoconferência (Balcão Virtual).",
                    &[(F::Mobile, Required), (F::Document, Required)],
                ),
                service(
                    "acompanhamento-registral",
                    ServiceKind::ProtocolLookup,
                    "Acompanhamento Registral",
                    "Consulte o andamento de um protocolo aberto neste cartório.",
                    &[(F::Attendant, Hidden), (F::Sector, Hidden)],
                ),
                service(
                    "certificado-digital",
                    ServiceKind::Certificate,
                    "Certificado Digital Notarizado",
                    "Emissão remota do certificado digital notarizado, com videoconferência.",
                    &[
                        (F::Sector, Hidden),
                        (F::Attendant, Hidden),
                        (F::Protocol, Hidden),
                    ],
                ),
                service(
                    "whatsapp",
                    ServiceKind::Whatsapp,
                    "WhatsApp Business",
                    "Converse com o cartório pelo WhatsApp.",
                    &[],
                ),
            ],
            sectors: vec![
                Sector {
                    id: id("notas"),
                    name: "Notas".into(),
                },
                Sector {
                    id: id("registro-civil"),
                    name: "Registro Civil".into(),
                },
                Sector {
                    id: id("protestos"),
                    name: "Protestos".into(),
                },
            ],
            attendants: vec![
                Attendant {
                    id: id("atendente-1"),
                    name: "Paula Souza".into(),
                    email: Email::parse(&format!("paula@{}.example.com", d.id))
                        .expect("seed email"),
                },
                Attendant {
                    id: id("atendente-2"),
                    name: "Rafael Costa".into(),
                    email: Email::parse(&format!("rafael@{}.example.com", d.id))
                        .expect("seed email"),
                },
            ],
            privacy: PrivacyNotice {
                version: "2026-07".into(),
                text: PRIVACY_TEXT.into(),
            },
            notifications: Notifications::default(),
            max_attachment_bytes: balcao_core::attachment::DEFAULT_MAX_BYTES,
            holidays: vec![],
            slot_minutes: 30,
            slot_capacity: 2,
            booking_lead_minutes: 120,
            reminder_time: jiff::civil::Time::constant(9, 0, 0, 0),
            retention: balcao_core::RetentionDays::default(),
            saved_replies: vec![
                balcao_core::SavedReply {
                    title: "Documentos para procuração".into(),
                    text:
                        "Olá, {nome}. Para a procuração (solicitação nº {numero}) traga RG, CPF e \
                           comprovante de endereço originais. Atenciosamente, {cartorio}."
                            .into(),
                },
                balcao_core::SavedReply {
                    title: "Prazo de escritura".into(),
                    text: "Olá, {nome}. A escritura fica pronta em até 5 dias úteis depois da \
                           assinatura. Qualquer dúvida, responda por aqui. {cartorio}"
                        .into(),
                },
            ],
            version: 0,
        })
        .collect()
}

/// Demo staff: per office a manager and its two attendants.
pub fn demo_staff() -> Vec<balcao_core::StaffMember> {
    use balcao_core::{Role, StaffMember};
    demo_offices()
        .into_iter()
        .flat_map(|o| {
            let demo = DEMOS.iter().find(|d| d.id == o.id.as_str());
            let manager = StaffMember {
                office: o.id.clone(),
                role: Role::Manager,
                name: demo.map(|d| d.officer).unwrap_or("Gestor").to_owned(),
                email: Email::parse(&format!("gestor@{}.example.com", o.id)).expect("seed email"),
            };
            let attendants = o.attendants.iter().map(move |a| StaffMember {
                office: o.id.clone(),
                role: Role::Attendant,
                name: a.name.clone(),
                email: a.email.clone(),
            });
            std::iter::once(manager).chain(attendants.collect::<Vec<_>>())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_offices_cover_three_ufs_and_several_time_zones() {
        let o = super::demo_offices();
        let ufs: std::collections::BTreeSet<_> = o.iter().map(|o| o.uf).collect();
        let tzs: std::collections::BTreeSet<_> = o.iter().map(|o| o.timezone.clone()).collect();
        assert!(ufs.len() >= 3);
        assert!(tzs.len() >= 2);
    }
}
