"""The notebooks as a user sees them: JupyterLab in headless chromium, driven by Selenium.

JupyterLab (this environment's, with the project's `python3` kernel) is started on 127.0.0.1 on a free port
with a token, serving copies of notebooks 00 and 03 (so autosave never writes outputs into the repository),
over a synthetic run directory (tests/synthetic_run.py: the notebooks read every stage back, no model is
loaded). Debian's chromium and chromedriver are used at their system paths; nothing is downloaded
(selenium-manager is bypassed by giving both paths, and SE_OFFLINE is set).

What is checked, in the browser's DOM: after "Run All Cells" every cell has run without an error output;
the controls render as widgets (sliders, dropdowns; no "Loading widget..." and no text repr); moving the
LoRA-rank dropdown updates the config-difference view beside the controls at once and the configuration
cell shows the new rank when re-run; the existing-run notice is shown; the cycle panel's button reads a
stage back and shows its records; notebook 03's Plotly figures render as plots (svg.main-svg, with the
toolbar); the browser console has no SEVERE entries. Screenshots land in the test's tmp folder, and in
$ITERKD_SCREENSHOTS_DIR when set (docs/ is filled that way).

Marked `browser` (and `slow`: about a minute or two here); it runs in `make test` like every other test.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from synthetic_run import build_synthetic_run, complete_for_notebooks

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic", "--window-size=1400,1800"]

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(folder: Path) -> None:
    """User settings for the test's JupyterLab: every cell attached to the DOM, no news or update checks."""
    for ext, data in {"@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
                      "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                                       "checkForUpdates": False}}.items():
        path = folder / f"{ext}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    for exe in (CHROMIUM, CHROMEDRIVER):
        if not Path(exe).exists():
            pytest.fail(f"{exe} is missing: `make chromium` installs Debian's chromium and chromium-driver")
    tmp = tmp_path_factory.mktemp("lab")
    run = complete_for_notebooks(build_synthetic_run(tmp / "run", ROOT / "configs" / "smoke.yaml")).root
    served = tmp / "served"
    served.mkdir()
    for name in ("00_quickstart.ipynb", "03_feedback.ipynb"):
        shutil.copy(ROOT / "notebooks" / name, served / name)
    _settings(tmp / "settings")
    port, token = _free_port(), "iterkd-browser-test"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(":"),
           "ITERKD_CONFIG": str(ROOT / "configs" / "smoke.yaml"), "ITERKD_RUN_DIR": str(run), "ITERKD_CYCLE": "1",
           "ITERKD_FIGURES_DIR": str(tmp / "figures"), "ITERKD_PNG": "0", "OMP_NUM_THREADS": "1",
           "TOKENIZERS_PARALLELISM": "false", "JUPYTER_CONFIG_DIR": str(tmp / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces")}
    log = open(tmp / "lab.log", "w")  # noqa: SIM115 -- closed at teardown
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
                             f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={served}",
                             "--ServerApp.open_browser=False", "--LabApp.news_url=None",
                             "--LabApp.extension_manager=readonly",      # no PyPI queries from the server
                             *(["--allow-root"] if os.geteuid() == 0 else [])],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail(f"JupyterLab did not start:\n{(tmp / 'lab.log').read_text()[-3000:]}")
        time.sleep(1)
    yield {"base": base, "token": token, "run": run, "tmp": tmp}
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def driver(lab):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"          # selenium-manager must never fetch anything
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in [*FLAGS, f"--user-data-dir={lab['tmp'] / 'chromium-profile'}"]:
        opts.add_argument(f)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(options=opts, service=Service(executable_path=CHROMEDRIVER))
    d.set_page_load_timeout(120)
    yield d
    d.quit()


# ------------------------------------------------------------------------------------------ helpers

def _wait(driver, what, timeout=240, every=0.5):
    """Poll `what(driver)` until it returns something truthy; fail with the last value otherwise."""
    end, last = time.time() + timeout, None
    while time.time() < end:
        try:
            last = what(driver)
        except Exception as e:  # noqa: BLE001 -- the DOM changes under us; retry
            last = e
        if last and not isinstance(last, Exception):
            return last
        time.sleep(every)
    shot = Path(os.environ.get("TMPDIR", "/tmp")) / f"iterkd-browser-timeout-{int(time.time())}.png"
    driver.save_screenshot(str(shot))
    raise AssertionError(f"timed out waiting; last: {last!r}; page screenshot: {shot}")


def _open(driver, lab, name):
    from selenium.webdriver.common.by import By

    driver.get(f"{lab['base']}/lab/tree/{name}?token={lab['token']}")
    _wait(driver, lambda d: any(t.text.strip() == name for t in d.find_elements(
        By.CSS_SELECTOR, ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")))
    _wait(driver, lambda d: _panel(d).find_elements(By.CSS_SELECTOR, ".jp-Cell"))
    _kernel_idle(driver)


def _kernel_idle(driver):
    """The status bar says the notebook's kernel is connected and idle ("Python 3 (ipykernel) | Idle")."""
    from selenium.webdriver.common.by import By

    _wait(driver, lambda d: any("| Idle" in e.text for e in d.find_elements(By.CSS_SELECTOR, "#jp-main-statusbar *")),
          timeout=180)


def _menu(driver, menu, command):
    from selenium.webdriver.common.by import By

    item = _wait(driver, lambda d: next((m for m in d.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item")
                                         if m.text.strip() == menu), None))
    item.click()
    _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, f"li.lm-Menu-item[data-command='{command}']")).click()


def _panel(driver):
    """The notebook on screen (JupyterLab restores other open notebooks as hidden tabs: never look at them)."""
    from selenium.webdriver.common.by import By

    shown = [p for p in driver.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel")
             if "lm-mod-hidden" not in (p.get_attribute("class") or "").split()]
    assert len(shown) == 1, f"{len(shown)} notebooks on screen"
    return shown[0]


def _prompts(driver):
    from selenium.webdriver.common.by import By

    return [p.text.strip() for p in _panel(driver).find_elements(By.CSS_SELECTOR, ".jp-CodeCell .jp-InputPrompt")]


def _run_all(driver):
    from selenium.webdriver.common.by import By

    _menu(driver, "Run", "runmenu:run-all")
    try:                                           # a busy machine can swallow the first request: ask again
        _wait(driver, lambda d: any(p not in ("[ ]:", "") for p in _prompts(d)), timeout=60)
    except AssertionError:
        _kernel_idle(driver)
        _menu(driver, "Run", "runmenu:run-all")

    def finished(d):
        ps = _prompts(d)
        return ps and all(p.startswith("[") and p[1:-2].strip().isdigit() for p in ps) and ps
    _wait(driver, finished, timeout=420, every=1.0)
    errors = [e.text[:3000] for e in _panel(driver).find_elements(
        By.CSS_SELECTOR, ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        if "Traceback" in e.text]
    assert not errors, errors


def _cell(driver, text):
    from selenium.webdriver.common.by import By

    for c in _panel(driver).find_elements(By.CSS_SELECTOR, ".jp-CodeCell"):
        src = c.find_element(By.CSS_SELECTOR, ".jp-InputArea-editor").text
        if text in src:
            return c
    raise AssertionError(f"no code cell contains {text!r}")


def _outputs_text(cell) -> str:
    from selenium.webdriver.common.by import By

    return "\n".join(o.text for o in cell.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output"))


def _severe(driver) -> list[str]:
    return [f"{e['level']}: {e['message']}" for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _shot(driver, element, name, lab):
    """Element screenshot into the tmp folder (and $ITERKD_SCREENSHOTS_DIR when set)."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", element)
    time.sleep(0.5)
    path = lab["tmp"] / name
    element.screenshot(str(path))
    assert path.stat().st_size > 5000
    if os.environ.get("ITERKD_SCREENSHOTS_DIR"):
        out = Path(os.environ["ITERKD_SCREENSHOTS_DIR"])
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, out / name)
    return path


# ------------------------------------------------------------------------------------------ tests

def test_quickstart_controls_follow_the_user(driver, lab):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(driver, lab, "00_quickstart.ipynb")
    driver.get_log("browser")                       # start the console log from here
    _run_all(driver)
    ctrl = _cell(driver, "controls = ConfigControls(")
    # real widgets, not a placeholder or a text repr
    _wait(driver, lambda d: ctrl.find_elements(By.CSS_SELECTOR, ".widget-slider, .widget-hslider"))
    assert len(ctrl.find_elements(By.CSS_SELECTOR, ".widget-dropdown select")) >= 2
    text = _outputs_text(ctrl)
    assert "Loading widget" not in text and "ConfigControls" not in text and "HBox(children" not in text
    notice = ctrl.find_element(By.CSS_SELECTOR, ".iterkd-run-notice")
    assert "Existing run" in notice.text and str(lab["run"]) in notice.text
    diff = ctrl.find_element(By.CSS_SELECTOR, ".iterkd-config-diff")
    assert "same as the YAML" in diff.text

    config_cell = _cell(driver, "from iterkd_lib.config import dump_yaml")
    assert "lora:\n    r: 8\n" in _outputs_text(config_cell)
    rank = next(w for w in ctrl.find_elements(By.CSS_SELECTOR, ".widget-dropdown")
                if w.find_element(By.CSS_SELECTOR, "label").text.strip() == "LoRA rank")
    Select(rank.find_element(By.CSS_SELECTOR, "select")).select_by_visible_text("16")
    _wait(driver, lambda d: "student.lora.r" in ctrl.find_element(By.CSS_SELECTOR, ".iterkd-config-diff").text)
    diff_text = ctrl.find_element(By.CSS_SELECTOR, ".iterkd-config-diff").text
    assert "1 change" in diff_text and "16" in diff_text and "a new run only" in diff_text
    _shot(driver, ctrl, "browser_00_controls.png", lab)

    # re-run the configuration cell, as the notebook says: it now shows the rank the control holds
    config_cell.find_element(By.CSS_SELECTOR, ".jp-InputPrompt").click()
    _menu(driver, "Run", "notebook:run-cell")
    _wait(driver, lambda d: "lora:\n    r: 16\n" in _outputs_text(_cell(d, "from iterkd_lib.config import dump_yaml")))

    # the cycle panel: pick a finished stage, click, see its records
    panel = _cell(driver, "from iterkd_lib.control_panel import CyclePanel")
    picker = next(s for s in panel.find_elements(By.CSS_SELECTOR, ".widget-dropdown select"))
    Select(picker).select_by_visible_text("03_training_set")
    next(b for b in panel.find_elements(By.CSS_SELECTOR, "button") if "Run stage" in b.text).click()
    _wait(driver, lambda d: "read back" in _outputs_text(_cell(d, "from iterkd_lib.control_panel")))
    assert "rejected_source" in _outputs_text(panel) and "8/9 stages done" in _outputs_text(panel)
    _shot(driver, panel, "browser_00_cycle_panel.png", lab)
    severe = _severe(driver)
    assert not severe, severe


def test_feedback_figures_render_as_plots(driver, lab):
    from selenium.webdriver.common.by import By

    _open(driver, lab, "03_feedback.ipynb")
    driver.get_log("browser")
    _run_all(driver)
    def plots(d):   # output areas holding a drawn Plotly figure (plotly's own svg.main-svg) and its toolbar
        return [o for o in _panel(d).find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output")
                if o.find_elements(By.CSS_SELECTOR, "svg.main-svg") and o.find_elements(By.CSS_SELECTOR, ".modebar")]
    _wait(driver, lambda d: len(plots(d)) >= 4)                    # the record table + three figures
    fig_cell = _cell(driver, "fig = F.fig_judge_vs_tests(")
    drawn = fig_cell.find_elements(By.CSS_SELECTOR, "svg.main-svg g.trace")                  # data drawn
    assert drawn, [e.get_attribute("class") for e in fig_cell.find_elements(By.CSS_SELECTOR, "svg.main-svg g")][:40]
    text = "\n".join(_outputs_text(c) for c in _panel(driver).find_elements(By.CSS_SELECTOR, ".jp-CodeCell"))
    assert "Loading widget" not in text and "Figure({" not in text                          # no text repr
    _shot(driver, fig_cell, "browser_03_figure.png", lab)
    severe = _severe(driver)
    assert not severe, severe
