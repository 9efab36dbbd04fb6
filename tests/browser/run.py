#!/usr/bin/env python3
"""Balcão's pages as people use them: real Chromium (Debian's), driven by
Playwright for Python, at a phone's and a desktop's size, against the local
runtime. Every page a journey visits is checked by axe-core (no violation of
any impact) and photographed into the screenshots folder.

Why Python: Playwright's Python package drives a system Chromium through
`executable_path` with no browser download, and its sync API reads like the
journeys it describes; the Rust WebDriver crates would need chromedriver and
more plumbing for the same clicks.

Usage: run.py BALCAO_LOCAL_BINARY AXE_MIN_JS SCREENSHOTS_DIR
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from datetime import date, timedelta

from playwright.sync_api import expect, sync_playwright

BINARY, AXE, SHOTS = sys.argv[1], sys.argv[2], sys.argv[3]
CHROMIUM = os.environ.get("BALCAO_CHROMIUM", "/usr/bin/chromium")
SIZES = [("celular", 390, 844), ("computador", 1280, 800)]
SP = "1-tabeliao-notas-sao-paulo"
ATTENDANT = f"paula@{SP}.example.com"
MANAGER = f"gestor@{SP}.example.com"
PDF = open(os.path.join(os.path.dirname(__file__), "../../shared/core/fixtures/one-page.pdf"), "rb").read()
PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01"
CPF = "529.982.247-25"
# Chromium's own network chatter is refused on this machine: keep it quiet.
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Runtime:
    """The local runtime on a free loopback port over a fresh data folder."""

    def __init__(self):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data = tempfile.mkdtemp(prefix="balcao-browser-")
        self.log = open(os.path.join(self.data, "runtime.log"), "w")
        self.proc = subprocess.Popen(
            [BINARY, "--addr", f"127.0.0.1:{self.port}", "--data-dir", self.data,
             "--public-base-url", self.base],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        for _ in range(200):
            try:
                urllib.request.urlopen(self.base + "/", timeout=1)
                return
            except Exception:
                time.sleep(0.1)
        raise RuntimeError("the local runtime did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.data, ignore_errors=True)

    def mailbox(self):
        req = urllib.request.Request(self.base + "/_dev/mailbox", headers={"accept": "application/json"})
        return json.load(urllib.request.urlopen(req))

    def mail(self, to, subject, timeout=10):
        """The newest email to `to` whose subject starts with `subject`."""
        end = time.time() + timeout
        while time.time() < end:
            for m in self.mailbox():
                if m["to"] == to and m["subject"].startswith(subject):
                    return m
            time.sleep(0.1)
        raise AssertionError(f"no email '{subject}' to {to}")

    def link(self, to, subject, path):
        m = self.mail(to, subject)
        found = re.search(re.escape(self.base) + r"(" + re.escape(path) + r"[^\s\"<]*)", m["text"])
        assert found, f"no {path} link in '{subject}'"
        return found.group(1)


class Journey:
    """One person's visit: a browser context, axe on every page, screenshots."""

    def __init__(self, rt, browser, size, name, javascript=True):
        self.rt, self.size_name, self.name = rt, size[0], name
        self.ctx = browser.new_context(
            viewport={"width": size[1], "height": size[2]},
            java_script_enabled=javascript,
            # axe is injected into pages whose CSP allows only their own scripts.
            bypass_csp=True,
            locale="pt-BR",
        )
        self.page = self.ctx.new_page()
        self.step = 0
        self.javascript = javascript

    def go(self, path):
        r = self.page.goto(self.rt.base + path)
        return r

    def check(self, label):
        """axe-core on the page as it is now (0 violations of any impact), and a screenshot."""
        self.step += 1
        self.page.wait_for_load_state("load")
        if not self.javascript:
            axe_without_js(self, label)
        else:
            self.page.add_script_tag(path=AXE)
            result = self.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            violations = [
                f"{v['id']} ({v['impact']}): {v['help']} @ {[n['target'] for n in v['nodes']][:3]}"
                for v in result["violations"]
            ]
            assert not violations, f"axe on {label} ({self.page.url}):\n  " + "\n  ".join(violations)
        shot = os.path.join(SHOTS, f"{self.size_name}-{self.name}-{self.step:02d}-{label}.png")
        self.page.screenshot(path=shot, full_page=True)

    def close(self):
        self.ctx.close()


def axe_without_js(j, label):
    """Pages seen without JavaScript are checked in a twin context that has it."""
    twin = j.ctx.browser.new_context(viewport=j.page.viewport_size, bypass_csp=True)
    p = twin.new_page()
    p.set_content(j.page.content(), wait_until="load")
    p.add_script_tag(path=AXE)
    result = p.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    twin.close()
    violations = [f"{v['id']}: {v['help']}" for v in result["violations"]]
    assert not violations, f"axe on {label}: {violations}"


def upload_file(page, selector, name, content, mime):
    page.set_input_files(selector, files=[{"name": name, "mimeType": mime, "buffer": content}])


def business_day(ahead):
    d = date.today() + timedelta(days=ahead)
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


# ---------------------------------------------------------------- journeys

def citizen(rt, j):
    """Form → email link → ticket → message with a file → conclude → rating."""
    p = j.page
    email = f"cidada-{j.size_name}@example.com"
    j.go("/")
    j.check("inicio")
    p.select_option("#uf", "SP")
    p.get_by_role("button", name="Continuar").click()
    expect(p.locator("h1")).to_have_text("Cartórios em São Paulo")
    j.check("cartorios")
    p.get_by_role("link", name="1º Tabelião de Notas de São Paulo").click()
    j.check("cartorio")
    p.locator("li.card", has_text="Contato").get_by_role("link", name="Solicitar").click()
    j.check("formulario")
    p.fill("#f-name", "Maria da Silva")
    p.fill("#f-email", email)
    p.fill("#f-document", CPF)
    p.fill("#f-mobile", "(11) 98765-4321")
    p.fill("#f-message", "Qual o prazo para uma escritura de compra e venda?")
    upload_file(p, "#f-attachments", "comprovante.pdf", PDF, "application/pdf")
    expect(p.locator("fieldset.attach ul.files")).to_contain_text("comprovante.pdf")
    p.check("#f-consent")
    p.get_by_role("button", name="Enviar solicitação").click()
    expect(p.locator("[role=status]").first).to_contain_text("Solicitação enviada")
    j.check("enviada")

    p.goto(rt.base + rt.link(email, "Solicitação nº", "/tickets/"))
    expect(p.locator("h1")).to_contain_text("Solicitação nº")
    p.fill("#f-message", "Segue o documento pedido.")
    upload_file(p, "#f-attachments", "rg.png", PNG, "image/png")
    expect(p.locator("fieldset.attach ul.files")).to_contain_text("rg.png")
    # A text named .pdf is refused beside it as soon as it is posted.
    upload_file(p, "#f-attachments", "falso.pdf", b"apenas texto", "application/pdf")
    expect(p.locator("fieldset.attach ul.files li.error")).to_contain_text("falso.pdf: ")
    j.check("anexo-recusado")
    p.get_by_role("button", name="Enviar mensagem").click()
    expect(p.locator("[role=status]").first).to_contain_text("Mensagem enviada")
    expect(p.locator("ol.history")).to_contain_text("rg.png")
    j.check("mensagem")

    # An empty message comes back on the ticket, said beside the field.
    p.get_by_role("button", name="Enviar mensagem").click()
    expect(p.locator("#e-message")).to_be_visible()
    expect(p.locator("h1")).to_contain_text("Solicitação nº")
    j.check("mensagem-vazia")

    # Concluding asks first, then says it is done.
    p.get_by_role("button", name="Concluir atendimento").click()
    expect(p.get_by_role("alertdialog")).to_contain_text("Concluir o atendimento?")
    j.check("confirmar")
    p.get_by_role("button", name="Sim, concluir o atendimento").click()
    expect(p.locator("[role=status]").first).to_contain_text("Atendimento concluído")
    p.get_by_label("Sim, aprovo o atendimento").check()
    p.fill("#f-comment", "Atendimento rápido e cordial.")
    p.get_by_role("button", name="Enviar avaliação").click()
    expect(p.locator("[role=status]").first).to_contain_text("Avaliação registrada")
    j.check("avaliada")


def booking(rt, j):
    """An appointment: the form offers free slots; the ticket shows the one taken."""
    p = j.page
    email = f"agenda-{j.size_name}@example.com"
    j.go(f"/offices/{SP}/requests/new?service=agendamento")
    j.check("agendamento")
    p.fill("#f-name", "João Pereira")
    p.fill("#f-email", email)
    p.fill("#f-document", CPF)
    p.fill("#f-mobile", "(11) 91234-5678")
    # Days are listed with their times: the first is open, another day opens on a tap.
    days = p.locator(".slots details")
    assert days.count() > 1, "free days are listed"
    days.nth(1).locator("summary").click()
    day = days.nth(1).locator("summary").inner_text()
    days.nth(1).locator("input[name=slot]").first.check()
    p.locator("input[name=mode][value=in_person]").check()
    p.fill("#f-message", "Escritura de imóvel.")
    p.check("#f-consent")
    p.get_by_role("button", name="Enviar solicitação").click()
    expect(p.locator("[role=status]").first).to_contain_text("Solicitação enviada")
    expect(p.locator("main")).to_contain_text("horário de Brasília")
    expect(p.locator("main")).to_contain_text(re.search(r"\d{2}/\d{2}/\d{4}", day).group(0))
    j.check("agendada")


def no_js_form(rt, j):
    """Without JavaScript the form submits and shows errors by field, labelled in Portuguese."""
    p = j.page
    j.go(f"/offices/{SP}/requests/new?service=contato")
    p.get_by_role("button", name="Enviar solicitação").click()
    summary = p.locator("#erros")
    expect(summary).to_be_visible()
    text = summary.inner_text()
    for english in ["consent", "email", "name", "document"]:
        assert f"{english}:" not in text, f"English key in the summary: {text}"
    links = summary.locator("a")
    for i in range(links.count()):
        target = links.nth(i).get_attribute("href")
        assert p.locator(target).count() == 1, f"the summary links to {target}, which is not on the page"
    assert text.index("Nome") < text.index("E-mail"), f"form order: {text}"
    j.check("formulario-com-erros")
    # Files go first, one at a time: each comes back in the form's list.
    upload_file(p, "#nf-attachments", "rg.pdf", PDF, "application/pdf")
    p.get_by_role("button", name="Enviar arquivo").click()
    expect(p.locator("fieldset.attach ul.files")).to_contain_text("rg.pdf")
    j.check("anexo-sem-js")
    upload_file(p, "#nf-attachments", "falso.pdf", b"apenas texto", "application/pdf")
    p.get_by_role("button", name="Enviar arquivo").click()
    expect(p.get_by_role("alert").first).to_contain_text("falso.pdf: ")
    j.check("anexo-recusado-sem-js")
    p.get_by_role("link", name="Voltar e escolher outro arquivo").click()
    expect(p.locator("fieldset.attach ul.files")).to_contain_text("rg.pdf")
    p.fill("#f-name", "Ana Sem Script")
    p.fill("#f-email", f"semjs-{j.size_name}@example.com")
    p.fill("#f-document", CPF)
    p.fill("#f-mobile", "(11) 97777-6666")
    p.fill("#f-message", "Enviado sem JavaScript.")
    p.check("#f-consent")
    p.get_by_role("button", name="Enviar solicitação").click()
    expect(p.locator("[role=status]").first).to_contain_text("Solicitação enviada")
    j.check("enviada-sem-js")
    expect(p.locator("ol.history")).to_contain_text("rg.pdf")


def staff(rt, j):
    """Sign in → queue → reply → analysis → checklist → approve → schedule → conclude."""
    p = j.page
    # A request to work on, opened through the API as a citizen would.
    body = json.dumps({
        "service": "contato", "name": "Carla Dias", "email": f"carla-{j.size_name}@example.com",
        "document": CPF, "mobile": "(11) 95555-4444", "message": "Preciso de uma procuração.",
        "consent": True,
    }).encode()
    req = urllib.request.Request(
        rt.base + f"/offices/{SP}/requests", data=body,
        headers={"content-type": "application/json", "accept": "application/json"},
    )
    number = json.load(urllib.request.urlopen(req))["number"]

    j.go("/staff/requests")
    j.check("entrar")
    p.locator("li", has_text=ATTENDANT.split("@")[1].split(".")[0]).filter(has_text="atendente").get_by_role("button").first.click()
    expect(p.locator("h1")).to_contain_text("Solicitações")
    expect(p.get_by_role("button", name="Sair")).to_be_visible()
    j.check("fila")
    p.get_by_role("link", name=re.compile(rf"Nº {number}\b")).first.click()
    expect(p.locator("h1")).to_contain_text(f"nº {number}")
    j.check("solicitacao")
    p.fill("#f-message", "Bom dia, Carla. Vamos analisar.")
    p.get_by_role("button", name="Enviar resposta").click()
    expect(p.locator("[role=status]").first).to_contain_text("Resposta enviada")
    expect(p.locator("ol.history")).to_contain_text("Vamos analisar")
    # Approving waits for the analysis (seed 002): not offered before it.
    expect(p.get_by_role("button", name="Aprovar")).to_have_count(0)
    p.get_by_role("button", name="Iniciar análise").click()
    expect(p.locator(".status").first).to_contain_text("Em análise")
    steps = p.locator("ol.checklist button", has_text="Sim")
    if steps.count() > 0:
        steps.first.click()
    p.select_option("#f-attendant", index=1)
    p.get_by_role("button", name="Aprovar").click()
    expect(p.locator(".status").first).to_contain_text("Em andamento")
    j.check("aprovada")
    day = business_day(5)
    p.fill("#f-date", day.isoformat())
    p.fill("#f-time", "10:00")
    p.locator("input[name=mode][value=in_person]").check()
    p.fill("#f-subject", "Assinatura da procuração")
    p.get_by_role("button", name="Salvar agendamento e avisar o cidadão").click()
    expect(p.locator(".status").first).to_contain_text("Agendada")
    # A conclusion without its PDF comes back here, saying why.
    p.fill("#f-conclusion", "Procuração lavrada.")
    p.get_by_role("button", name="Finalizar").click()
    expect(p.get_by_role("alert").first).to_contain_text("PDF")
    expect(p.locator("h1")).to_contain_text(f"nº {number}")
    j.check("conclusao-recusada")
    p.fill("#f-conclusion", "Procuração lavrada.")
    upload_file(p, "#f-conclusion-files", "procuracao.pdf", PDF, "application/pdf")
    expect(p.locator("fieldset.attach", has=p.locator("#f-conclusion-files"))).to_contain_text("procuracao.pdf")
    p.get_by_role("button", name="Finalizar").click()
    expect(p.locator(".status").first).to_contain_text("Concluída")
    j.check("concluida")


def manager(rt, j):
    """The manager changes a setting and sees it saved."""
    p = j.page
    j.go("/staff/office")
    p.locator("li", has_text=f"· {SP}").filter(has_text="gestor").get_by_role("button").first.click()
    j.go("/staff/office")
    expect(p.locator("h1")).to_be_visible()
    j.check("configuracoes")
    p.fill("#s-retention", "400")
    p.locator("#s-retention").locator("xpath=ancestor::form").get_by_role("button", name="Salvar").click()
    expect(p.locator("#s-retention")).to_have_value("400")
    expect(p.locator("[role=status]").first).to_contain_text("Configurações salvas")
    j.check("salvas")
    # A refused value comes back on the page with the reason (past the
    # browser's own check, as a browser without it would send it).
    p.eval_on_selector("#s-retention", "e => e.removeAttribute('min')")
    p.fill("#s-retention", "10")
    p.locator("#s-retention").locator("xpath=ancestor::form").get_by_role("button", name="Salvar").click()
    expect(p.get_by_role("alert").first).to_contain_text("prazo de guarda")
    j.check("recusada")
    # Sectors are kept with forms, by name.
    sector = f"Procurações {j.size_name}"
    p.fill("#sec-new", sector)
    p.get_by_role("button", name="Adicionar setor").click()
    expect(p.locator("[role=status]").first).to_contain_text("Configurações salvas")
    expect(p.locator("form.item input[name=name]").first).to_be_visible()
    assert p.locator(f"input[value='{sector}']").count() == 1, "the new sector is listed"
    j.check("setor-adicionado")
    # The office's report: charts drawn on the server.
    j.go("/staff/reports")
    expect(p.locator("h1")).to_have_text("Relatórios")
    expect(p.locator("svg[role=img]")).to_have_count(1)
    j.check("relatorios")


def not_found(rt, j):
    """Unknown addresses answer a Portuguese page."""
    r = j.go("/nao-existe")
    assert r.status == 404, r.status
    expect(j.page.locator("h1")).to_be_visible()
    assert "Balcão" in j.page.title() and "Not Found" not in j.page.title(), j.page.title()
    j.check("404")
    # A form sent where a link goes: 405, in Portuguese, as JSON to JSON clients.
    req = urllib.request.Request(rt.base + "/offices", data=b"", method="POST",
                                 headers={"accept": "application/json"})
    try:
        urllib.request.urlopen(req)
        raise AssertionError("POST /offices was accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 405, e.code
        assert json.load(e)["error"]["code"] == "method_not_allowed"


def my_data(rt, j):
    """The citizen asks for their data, sees it and erases it."""
    p = j.page
    email = f"cidada-{j.size_name}@example.com"
    j.go("/my-data")
    j.check("meus-dados")
    p.fill("#f-email", email)
    p.get_by_role("button", name="Enviar link").click()
    expect(p.locator("[role=status]")).to_contain_text("link")
    p.goto(rt.base + rt.link(email, "Seus dados no Balcão", "/my-data"))
    expect(p.locator("main")).to_contain_text("Maria da Silva")
    j.check("dados")
    p.check("input[name=confirm]")
    p.get_by_role("button", name="Apagar meus dados").click()
    expect(p.locator("[role=status]")).to_contain_text("Seus dados foram apagados")
    j.check("apagados")


JOURNEYS = [
    ("cidadao", citizen, True),
    ("agendamento", booking, True),
    ("sem-javascript", no_js_form, False),
    ("atendente", staff, True),
    ("gestor", manager, True),
    ("pagina-inexistente", not_found, True),
    ("meus-dados", my_data, True),
]


def main():
    os.makedirs(SHOTS, exist_ok=True)
    for f in os.listdir(SHOTS):
        if f.endswith(".png"):
            os.remove(os.path.join(SHOTS, f))
    rt = Runtime()
    failures = []
    started = time.time()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for size in SIZES:
                for name, run, js in JOURNEYS:
                    j = Journey(rt, browser, size, name, javascript=js)
                    t0 = time.time()
                    try:
                        run(rt, j)
                        print(f"ok    {size[0]:<10} {name} ({time.time() - t0:.1f} s)")
                    except Exception as e:
                        failures.append(f"{size[0]} {name}")
                        where = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == __file__]
                        line = f"run.py:{where[-1].lineno}" if where else ""
                        print(f"FAIL  {size[0]:<10} {name} at {line}\n      {str(e).splitlines()[0] if str(e) else repr(e)}")
                        if len(str(e).splitlines()) > 1:
                            print("      " + "\n      ".join(str(e).splitlines()[1:8]))
                        try:
                            j.page.screenshot(path=os.path.join(SHOTS, f"FAIL-{size[0]}-{name}.png"), full_page=True)
                        except Exception:
                            pass
                    finally:
                        j.close()
            browser.close()
    finally:
        rt.stop()
    print(f"\n{len(SIZES) * len(JOURNEYS) - len(failures)} passed, {len(failures)} failed "
          f"in {time.time() - started:.0f} s; screenshots in {SHOTS}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
