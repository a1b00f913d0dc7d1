"""A real headless Chromium drives the app: ask about a synthetic unit and watch it stream.

Chromium and chromedriver come from the Debian packages `chromium` and `chromium-driver`;
when they are missing the test fails (CI installs them), it does not skip.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.app.helpers import ARTIFACTS, running_app

CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync", "--window-size=1400,1800")


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
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(driver))


def choose(browser: webdriver.Chrome, elem_id: str, option: str) -> None:
    """Pick `option` in the Gradio dropdown with element id `elem_id`."""
    box = browser.find_element(By.CSS_SELECTOR, f"#{elem_id} input")
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(option)
    WebDriverWait(browser, 10).until(ec.element_to_be_clickable(
        (By.XPATH, f"//*[@role='option'][contains(normalize-space(.), '{option}')]"))).click()


def type_into(browser: webdriver.Chrome, selector: str, text: str) -> None:
    field = browser.find_element(By.CSS_SELECTOR, selector)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(text, Keys.TAB)


def test_browser_run_streams_images_and_the_final_card(tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with running_app(tmp_path) as url:
        browser = chromium()
        try:
            browser.get(url)
            wait = WebDriverWait(browser, 60)
            wait.until(ec.element_to_be_clickable((By.ID, "ask")))
            choose(browser, "model", "synthetic-vision")
            choose(browser, "layer", "and")
            WebDriverWait(browser, 20).until(
                ec.text_to_be_present_in_element((By.ID, "unit-index"), "0–7"))
            type_into(browser, "#unit-index input", "0")
            browser.find_element(By.XPATH, "//*[normalize-space()='Policy and budgets']"
                                 ).click()
            WebDriverWait(browser, 10).until(ec.element_to_be_clickable(
                (By.CSS_SELECTOR, "#policy input[value='systematic']"))).click()
            type_into(browser, "#rounds input[type='number']", "1")
            time.sleep(0.5)
            browser.find_element(By.ID, "ask").click()
            # An exemplar image streams in while the agent is still working ...
            image = (By.CSS_SELECTOR, "#chat img[src*='img-0001']")
            wait = WebDriverWait(browser, 120)
            wait.until(ec.presence_of_element_located(image))
            assert not browser.find_elements(By.XPATH, "//*[@id='chat']//h3[starts-with("
                                              "normalize-space(), 'Answer:')]")
            # ... and the final card closes the run.
            card = wait.until(ec.presence_of_element_located(
                (By.XPATH, "//*[@id='chat']//h3[starts-with(normalize-space(), 'Answer:')]")))
            wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "transcript"))
            browser.execute_script("arguments[0].scrollIntoView({block: 'end'})", card)
            time.sleep(1)
            browser.save_screenshot(str(ARTIFACTS / "app.png"))
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'})",
                                   browser.find_element(*image))
            time.sleep(1)
            browser.save_screenshot(str(ARTIFACTS / "app-exemplars.png"))
            assert "Confidence" in card.find_element(By.XPATH, "..").text
            assert browser.find_elements(By.CSS_SELECTOR, "#chat .thought-group")
        finally:
            browser.quit()
    assert (ARTIFACTS / "app.png").stat().st_size > 10_000
