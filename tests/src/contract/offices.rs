//! The `Offices` role: profiles, versions and the directory.

#[allow(unused_imports)]
use super::*;
use balcao_app::ports::{PageRequest, PageSize};

pub async fn offices_round_trip(store: Shared) {
    let (sp1, sp2, ro) = (demo(0), demo(1), demo(2));
    for o in [&sp1, &sp2, &ro] {
        store.put_office(o).await.expect("put office");
    }
    assert_eq!(
        store.get_office(&sp1.id).await.expect("get"),
        Some(sp1.clone())
    );
    assert_eq!(
        store
            .get_office(&balcao_core::OfficeId::parse("nope").expect("id"))
            .await
            .expect("get"),
        None
    );
    let mut renamed = sp1.clone();
    renamed.name = "Novo nome".into();
    store.put_office(&renamed).await.expect("update office");
    assert_eq!(
        store.get_office(&sp1.id).await.expect("get"),
        Some(renamed.clone()),
        "a read after a write sees it"
    );
    let first = PageRequest::default();
    let sp: BTreeSet<String> = store
        .list_offices(Uf::SP, None, &first)
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(
        sp,
        BTreeSet::from(["Novo nome".to_owned(), sp2.name.clone()])
    );
    let ro_list = store
        .list_offices(Uf::RO, None, &first)
        .await
        .expect("list");
    assert_eq!((ro_list.items, ro_list.next), (vec![ro.listing()], None));
    let none = store
        .list_offices(Uf::AC, None, &first)
        .await
        .expect("list");
    assert!(none.items.is_empty() && none.next.is_none());
}

/// A manager's change is written only over the version it was made from.
pub async fn office_changes_are_conditional_on_the_version(store: Shared) {
    let office = demo(1);
    store.put_office(&office).await.expect("put");
    let mut first = office.clone();
    first.slot_minutes = 45;
    first.version = office.version + 1;
    assert!(
        store
            .replace_office(&first, office.version)
            .await
            .expect("replace")
    );
    let mut stale = office.clone();
    stale.slot_minutes = 10;
    stale.version = office.version + 1;
    assert!(
        !store
            .replace_office(&stale, office.version)
            .await
            .expect("replace"),
        "a change made from an older version loses"
    );
    let stored = store
        .get_office(&office.id)
        .await
        .expect("get")
        .expect("office");
    assert_eq!(
        (stored.slot_minutes, stored.version),
        (45, office.version + 1)
    );
    let mut unknown = demo(3);
    unknown.id = balcao_core::OfficeId::parse("nao-existe").expect("id");
    assert!(
        !store.replace_office(&unknown, 0).await.expect("replace"),
        "no office is created"
    );
}

/// An office of `city` named `name`, from a demo office of SP.
fn office_in(city: &str, name: &str, i: usize) -> Office {
    let mut o = demo(0);
    o.id = balcao_core::OfficeId::parse(&format!("pagina-{i}")).expect("id");
    o.city = city.into();
    o.name = name.into();
    o
}

/// Every page of a directory listing, following `next`.
async fn walk(store: &Shared, uf: Uf, city: Option<&str>, size: u32) -> Vec<String> {
    let mut page = PageRequest::first(PageSize::new(size).expect("size"));
    let mut names = Vec::new();
    for _ in 0..100 {
        let found = store.list_offices(uf, city, &page).await.expect("list");
        assert!(found.items.len() <= size as usize);
        names.extend(found.items.into_iter().map(|o| o.name));
        match found.next {
            Some(next) => page.after = Some(next),
            None => return names,
        }
    }
    panic!("the listing never ended");
}

pub async fn the_directory_lists_a_city_a_page_at_a_time(store: Shared) {
    for i in 0..7 {
        store
            .put_office(&office_in("São Paulo", &format!("Cartório {i}"), i))
            .await
            .expect("put");
    }
    for i in 7..10 {
        store
            .put_office(&office_in("Campinas", &format!("Cartório {i}"), i))
            .await
            .expect("put");
    }
    let sao_paulo: Vec<String> = (0..7).map(|i| format!("Cartório {i}")).collect();
    // Case and accents do not matter; pages neither repeat nor skip.
    assert_eq!(walk(&store, Uf::SP, Some("sao paulo"), 3).await, sao_paulo);
    assert_eq!(walk(&store, Uf::SP, Some("SÃO PAULO"), 7).await, sao_paulo);
    assert_eq!(
        walk(&store, Uf::SP, Some("Campinas"), 2).await,
        vec!["Cartório 7", "Cartório 8", "Cartório 9"]
    );
    assert_eq!(walk(&store, Uf::SP, None, 4).await.len(), 10);
    assert!(walk(&store, Uf::SP, Some("Santos"), 5).await.is_empty());
    assert_eq!(
        store.office_cities(Uf::SP).await.expect("cities"),
        vec!["Campinas".to_owned(), "São Paulo".to_owned()]
    );
    // What the directory shows is the small listing, kept in step with the office.
    let mut renamed = office_in("Campinas", "Cartório 7 (novo)", 7);
    renamed.version = 0;
    assert!(store.replace_office(&renamed, 0).await.expect("replace"));
    assert_eq!(
        walk(&store, Uf::SP, Some("campinas"), 5).await,
        vec!["Cartório 7 (novo)", "Cartório 8", "Cartório 9"]
    );
}
