"""A real headless Chromium drives the app as a newcomer would.

Chromium and chromedriver come from the Debian packages `chromium` and `chromium-driver`;
when they are missing the test fails (CI installs them), it does not skip. Every wait is
bounded, and page text is read through JavaScript (`innerText`), never Selenium's `.text`,
which can hang on a long chat.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.app.helpers import ARTIFACTS, running_app

CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync", "--window-size=1400,1800")
ANSWER_IN_VIEW = """
const messages = document.querySelectorAll('#chat .message-row, #chat .message');
const last = messages[messages.length - 1];
if (!last) { return false; }
const box = last.getBoundingClientRect();
const chat = document.querySelector('#chat').getBoundingClientRect();
return box.top >= chat.top - 2 && box.top < Math.min(chat.bottom, window.innerHeight);
"""


def chromium() -> webdriver.Chrome:
    """Headless Chromium with a fresh profile; a clear failure when it is not installed."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    assert binary and driver, ("chromium and chromedriver are required for the browser test: "
                               "apt-get install -y chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}"):
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(driver))
    browser.set_page_load_timeout(60)
    browser.set_script_timeout(20)
    return browser


def text(browser: webdriver.Chrome, css: str) -> str:
    """The innerText of the first element matching `css` (empty when there is none)."""
    return browser.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';", css)


def wait_for(check: Callable[[], object], timeout: float, what: str,
             interval: float = 0.1) -> object:
    """Poll `check` until it returns something truthy, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def choose(browser: webdriver.Chrome, elem_id: str, option: str, exact: bool = False) -> None:
    """Pick `option` in the Gradio dropdown with element id `elem_id` (by its visible text)."""
    box = browser.find_element(By.CSS_SELECTOR, f"#{elem_id} input")
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(option)
    pick = """
        const [wanted, exact] = arguments;
        const options = [...document.querySelectorAll('[role=option]')];
        const label = o => o.innerText.replace('\u2713', '').trim();  // minus the check mark
        const found = options.find(o => exact ? label(o) === wanted : label(o).includes(wanted));
        if (found) { found.scrollIntoView({block: 'nearest'}); }
        return found || null;"""
    element = wait_for(lambda: browser.execute_script(pick, option, exact), 20,
                       f"the option {option!r}")
    element.click()  # a real click: gradio's change events follow it


def type_into(browser: webdriver.Chrome, selector: str, value: str) -> None:
    field = browser.find_element(By.CSS_SELECTOR, selector)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(value, Keys.TAB)


def open_budgets(browser: webdriver.Chrome, rounds: int) -> None:
    browser.find_element(By.XPATH, "//*[normalize-space()='Policy and budgets']").click()
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#policy input[value='systematic']"),
             10, "the policy radio")
    browser.find_element(By.CSS_SELECTOR, "#policy input[value='systematic']").click()
    type_into(browser, "#rounds input[type='number']", str(rounds))
    time.sleep(0.5)


def answer_card(browser: webdriver.Chrome) -> str:
    return browser.execute_script("""
        const cards = [...document.querySelectorAll('#chat h3')]
            .filter(h => h.innerText.startsWith('Answer:'));
        return cards.length ? cards[cards.length - 1].closest('.message, .message-row')
            .innerText : '';""")


@pytest.fixture()
def app(tmp_path: Path):
    with running_app(tmp_path) as url:
        browser = chromium()
        try:
            browser.get(url)
            wait_for(lambda: browser.find_elements(By.ID, "ask"), 60, "the Ask button")
            yield browser
        finally:
            browser.quit()


def test_a_synthetic_run_streams_images_and_ends_on_the_answer_in_view(app) -> None:
    browser = app
    ARTIFACTS.mkdir(exist_ok=True)
    choose(browser, "model", "synthetic-vision")
    choose(browser, "layer", "and")
    wait_for(lambda: "0–7" in text(browser, "#unit-index"), 20, "the unit range 0–7")
    type_into(browser, "#unit-index input", "0")
    open_budgets(browser, rounds=1)
    browser.find_element(By.ID, "ask").click()
    # an exemplar image streams in while the agent is still working ...
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#chat img[src*='img-0001']"), 120,
             "the first exemplar image")
    assert not answer_card(browser)
    # ... steps say in words what they test and found ...
    wait_for(lambda: "Found:" in text(browser, "#chat"), 60, "a step's finding")
    chat = text(browser, "#chat")
    assert "Tests:" in chat and "{'" not in chat  # plain sentences, never a raw dict
    # ... and the answer card closes the run, scrolled into view
    card = wait_for(lambda: answer_card(browser), 120, "the answer card")
    assert "Confidence" in card
    wait_for(lambda: "transcript" in text(browser, "#status"), 30, "the final status line")
    wait_for(lambda: browser.execute_script(ANSWER_IN_VIEW), 10, "the answer card in view")
    browser.save_screenshot(str(ARTIFACTS / "app.png"))


def test_the_espresso_background_question_gets_a_verdict_with_effects_and_images(app) -> None:
    browser = app
    choose(browser, "model", "efficientnet_lite0")
    wait_for(lambda: "layers" in text(browser, "#model-status"), 120, "efficientnet's layers")
    choose(browser, "preset", "biased by the background")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#class-box input"), 20,
             "the class picker")
    choose(browser, "class-box", "espresso", exact=True)
    wait_for(lambda: "espresso" in browser.execute_script(
        "return document.querySelector('#question textarea').value"), 10, "the question")
    locked = browser.execute_script(
        "return document.querySelector('#layer input').disabled || "
        "document.querySelector('#unit-index input').disabled")
    assert locked, "a whole-model question leaves the layer and unit fields editable"
    browser.find_element(By.ID, "ask").click()
    card = wait_for(lambda: answer_card(browser), 300, "the answer card")
    assert any(verdict in card.lower() for verdict in ("biased", "not biased", "inconclusive"))
    assert "p(espresso)" in card and "interval" in card  # an effect size with its interval
    images = browser.execute_script("""
        const cards = [...document.querySelectorAll('#chat h3')]
            .filter(h => h.innerText.startsWith('Answer:'));
        const card = cards[cards.length - 1];
        return [...document.querySelectorAll("#chat img[src*='background-bias']")]
            .filter(img => card.compareDocumentPosition(img)
                           & Node.DOCUMENT_POSITION_FOLLOWING).length;""")
    assert images >= 1, "the answer card shows the images behind the verdict"
    browser.save_screenshot(str(ARTIFACTS / "app-bias.png"))


def test_progress_while_smollm2_loads_and_exemplars_build_and_stop_persists(
        tmp_path: Path) -> None:
    from models.stimuli.texts import corpus

    small = tmp_path / "corpus.txt"  # a fresh corpus: its exemplar cache is built in the run
    small.write_text("\n".join(corpus(320, seed=int(time.time()) % 10_000)) + "\n")
    runs = tmp_path / "runs"
    runs.mkdir()
    with running_app(runs, WORKBENCH_CORPUS=str(small)) as url:
        browser = chromium()
        try:
            browser.get(url)
            wait_for(lambda: browser.find_elements(By.ID, "ask"), 60, "the Ask button")
            choose(browser, "model", "smollm2-135m-instruct")
            wait_for(lambda: "Loading smollm2" in text(browser, "#model-status"), 20,
                     "the loading message")
            wait_for(lambda: "layers" in text(browser, "#model-status"), 180, "SmolLM2 loaded")
            choose(browser, "layer", "model.layers.12.mlp")
            type_into(browser, "#unit-index input", "300")
            open_budgets(browser, rounds=2)
            browser.find_element(By.ID, "ask").click()
            wait_for(lambda: "exemplar cache" in text(browser, "#status")
                     and "%" in text(browser, "#status"), 180, "the exemplar-cache progress")
            wait_for(lambda: "E2" in text(browser, "#chat"), 240, "the second experiment")
            browser.find_element(By.ID, "stop").click()
            seen = []
            while not answer_card(browser):
                seen.append(text(browser, "#status"))
                assert len(seen) < 2400, "the run did not end within four minutes of Stop"
                time.sleep(0.1)
            running = [s for s in seen[5:] if s.startswith("Running")]
            assert not running, f"'Stopping' was replaced while the run went on: {running[:3]}"
            assert any(s.startswith("Stopping") for s in seen)
            wait_for(lambda: browser.execute_script(ANSWER_IN_VIEW), 10, "the answer in view")
        finally:
            browser.quit()


def test_the_atlas_tab_searches_units_and_opens_one_in_the_chat(tmp_path: Path) -> None:
    from bench.atlas import AtlasRequest, build_atlas

    atlases = tmp_path / "atlases"
    script = {"rounds": [], "conclude_after": 0,
              "final": {"description": "fires on red regions", "label": "red",
                        "confidence": 1.0}}
    build_atlas(AtlasRequest(model="synthetic-vision", out=str(atlases / "demo"),
                             policy="scripted", options=script, protocols=False),
                ["single"], "0-3", progress=False)
    runs = tmp_path / "runs"
    runs.mkdir()
    study = tmp_path / "studies" / "demo-study"
    study.mkdir(parents=True)
    (study / "report.md").write_text("# Demo study\n\n| model | simulation r |\n|---|---|\n"
                                     "| base | 0.123 |\n\n![a plot](plot.png)\n")
    Image.new("RGB", (60, 40), (200, 30, 30)).save(study / "plot.png")
    with running_app(runs, WORKBENCH_ATLASES=str(atlases),
                     WORKBENCH_STUDIES=str(tmp_path / "studies")) as url:
        browser = chromium()
        try:
            browser.get(url)
            wait_for(lambda: browser.find_elements(By.ID, "ask"), 60, "the app")
            browser.find_element(By.XPATH, "//button[@role='tab'][normalize-space()='Atlas']"
                                 ).click()
            choose(browser, "atlas-box", "demo", exact=True)
            type_into(browser, "#atlas-words textarea, #atlas-words input", "red regions")
            browser.find_element(By.ID, "atlas-search").click()
            wait_for(lambda: "4 of 4 units match" in text(browser, "#atlas-status"), 30,
                     "the search result")
            cell = wait_for(lambda: browser.find_elements(
                By.XPATH, "//*[@id='atlas-table']//*[contains(text(), 'synthetic-vision:single:2')]"),
                20, "the unit's row")
            cell[0].click()
            wait_for(lambda: "synthetic-vision:single:2" in text(browser, "#atlas-card"), 30,
                     "the unit card")
            assert "fires on red regions" in text(browser, "#atlas-card")
            browser.find_element(By.ID, "atlas-open").click()
            wait_for(lambda: browser.execute_script(
                "return document.querySelector('#unit-index input').value") == "2", 30,
                "the unit index in the Chat tab")
            assert browser.find_element(By.ID, "ask").is_displayed()
            assert "single" in browser.execute_script(
                "return document.querySelector('#layer input').value")
            # the Studies tab shows a study's report table and its plot
            browser.find_element(By.XPATH, "//button[@role='tab'][normalize-space()='Studies']"
                                 ).click()
            choose(browser, "study-box", "demo-study", exact=True)
            wait_for(lambda: "0.123" in text(browser, "#study-report"), 30, "the study table")
            wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "img[src*='plot']"), 30,
                     "the study's plot")
        finally:
            browser.quit()
