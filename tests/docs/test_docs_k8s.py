"""deploy/k8s: the Job that runs the kit in a cluster is valid and hangs together.

Each resource is validated against the Kubernetes OpenAPI schemas that the
``kubernetes-validate`` package ships (strict: unknown fields are errors), for
the oldest and newest Kubernetes versions it knows, offline. The rest checks
what a schema cannot: the Job mounts the claim and reads the ConfigMap that
exist, writes the certificate onto the claim, passes only options the kit
registers, and meets the "restricted" Pod Security Standard its namespace
enforces.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from docs_processes import clean_env, python, run
from markdown_blocks import ROOT

K8S = ROOT / "deploy" / "k8s"
KUSTOMIZATION = K8S / "kustomization.yaml"
KUBERNETES_VERSIONS = ["1.29.0", kubernetes_validate.latest_version()]


def resources() -> list[dict[str, Any]]:
    listed = yaml.safe_load(KUSTOMIZATION.read_text(encoding="utf-8"))["resources"]
    return [
        document
        for name in listed
        for document in yaml.safe_load_all((K8S / name).read_text(encoding="utf-8"))
        if document
    ]


def by_kind(kind: str) -> dict[str, Any]:
    (found,) = [resource for resource in resources() if resource["kind"] == kind]
    return found


def pod_spec() -> dict[str, Any]:
    spec: dict[str, Any] = by_kind("Job")["spec"]["template"]["spec"]
    return spec


def container() -> dict[str, Any]:
    (only,) = pod_spec()["containers"]
    return dict(only)


def test_kustomization_lists_every_manifest() -> None:
    listed = set(yaml.safe_load(KUSTOMIZATION.read_text(encoding="utf-8"))["resources"])
    present = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present
    kinds = sorted(resource["kind"] for resource in resources())
    assert kinds == ["ConfigMap", "Job", "Namespace", "PersistentVolumeClaim"]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_resources_match_the_kubernetes_schema(version: str) -> None:
    for resource in resources():
        # Raises ValidationError naming the field for anything the API server would refuse.
        kubernetes_validate.validate(resource, version, strict=True)


def test_schema_validation_catches_a_misspelt_field() -> None:
    job = by_kind("Job")
    broken = {**job, "spec": {**job["spec"], "backofLimit": 0}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)


def test_namespaced_resources_share_the_namespace() -> None:
    namespace = by_kind("Namespace")["metadata"]["name"]
    kustomized = yaml.safe_load(KUSTOMIZATION.read_text(encoding="utf-8"))["namespace"]
    assert kustomized == namespace
    for resource in resources():
        if resource["kind"] != "Namespace":
            assert resource["metadata"]["namespace"] == namespace, resource["kind"]


def test_job_runs_the_kit_once_and_keeps_the_certificate_on_the_claim() -> None:
    job = by_kind("Job")
    assert job["spec"]["backoffLimit"] == 0
    assert pod_spec()["restartPolicy"] == "Never"
    script = " ".join(container()["command"] + container()["args"])
    assert "pytest --floe-dbt-compliance" in script
    report_dir = shlex.split(script.split("--floe-dbt-report", 1)[1])[0]
    volumes = {volume["name"]: volume for volume in pod_spec()["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container()["volumeMounts"]}
    certificate_mount = next(path for path in mounts if report_dir.startswith(path + "/"))
    claim = volumes[mounts[certificate_mount]]["persistentVolumeClaim"]["claimName"]
    assert claim == by_kind("PersistentVolumeClaim")["metadata"]["name"]
    # $(POD_NAME) is expanded by Kubernetes from the env var the downward API sets.
    env = {variable["name"]: variable for variable in container()["env"]}
    assert "$(POD_NAME)" in report_dir
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    # The pytest exit status is the Job's: a failed certification fails the Job.
    assert script.rstrip().endswith("exit $status")


def test_job_reads_the_configmap_that_exists() -> None:
    sources = [source["configMapRef"]["name"] for source in container()["envFrom"]]
    assert sources == [by_kind("ConfigMap")["metadata"]["name"]]


def test_job_meets_the_restricted_pod_security_standard() -> None:
    assert by_kind("Namespace")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == (
        "restricted"
    )
    pod = pod_spec()["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] != 0
    assert pod["seccompProfile"]["type"] == "RuntimeDefault"
    security = container()["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    allowed = {"persistentVolumeClaim", "emptyDir", "configMap", "secret", "projected"}
    for volume in pod_spec()["volumes"]:
        assert set(volume) - {"name"} <= allowed, volume["name"]
    # A read-only root: everything the run writes goes to a mounted volume.
    assert security["readOnlyRootFilesystem"] is True
    assert {"/tmp", "/certificates"} <= {
        mount["mountPath"] for mount in container()["volumeMounts"]
    }
    assert container()["resources"]["limits"]


def test_image_matches_the_dockerfile() -> None:
    dockerfile = (K8S / "Dockerfile").read_text(encoding="utf-8")
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    workdirs = [line.split()[1] for line in final_stage.splitlines() if line.startswith("WORKDIR")]
    assert workdirs[-1] == container()["workingDir"]
    user = next(line.split()[1] for line in final_stage.splitlines() if line.startswith("USER "))
    assert user.split(":")[0] == str(pod_spec()["securityContext"]["runAsUser"])
    # Every file the image copies from the repository exists.
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), f"Dockerfile copies {source}, which is missing"


@pytest.mark.timeout(120)
def test_configmap_options_are_the_kits() -> None:
    """pytest accepts the ConfigMap's PYTEST_ADDOPTS: each option is registered by the kit."""
    addopts = by_kind("ConfigMap")["data"]["PYTEST_ADDOPTS"]
    completed = python(
        "-m", "pytest", "--help", cwd=ROOT, env=clean_env(PYTEST_ADDOPTS=addopts), timeout=110
    )
    assert completed.returncode == 0, completed.stderr
    for option in shlex.split(addopts):
        if option.startswith("--floe-dbt"):
            assert option in completed.stdout


def _run_job_script(
    tmp_path: Path, extra_options: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run the Job's container command here, as Kubernetes would, on the fusion runtime.

    Kubernetes expands ``$(POD_NAME)`` from the container's env; the claim is
    mounted at ``/certificates``, here a temporary directory. The working
    directory holds what the image's does (``pyproject.toml``, ``conftest.py``).
    The ConfigMap's options are kept, except that the fast ``fusion``
    placeholder is certified instead of the reference runtimes.
    """
    pod_name = "floe-dbt-compliance-x7k2p"
    certificates = tmp_path / "certificates"
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    for name in ("pyproject.toml", "conftest.py"):
        (workdir / name).write_text((ROOT / name).read_text(encoding="utf-8"), encoding="utf-8")
    script = container()["args"][0].replace("$(POD_NAME)", pod_name)
    script = script.replace("/certificates", str(certificates))
    options = shlex.split(by_kind("ConfigMap")["data"]["PYTEST_ADDOPTS"])
    kept = [
        option
        for index, option in enumerate(options)
        if option != "--floe-dbt-runtime"
        and (index == 0 or options[index - 1] != "--floe-dbt-runtime")
    ]
    env = clean_env(
        PYTEST_ADDOPTS=" ".join([*kept, "--floe-dbt-runtime", "fusion", extra_options]),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    completed = run([*container()["command"], script], cwd=workdir, env=env, timeout=110)
    return completed, certificates / pod_name / "fusion"


@pytest.mark.timeout(120)
def test_job_script_keeps_the_certificate_and_prints_it(tmp_path: Path) -> None:
    completed, kept = _run_job_script(tmp_path, "")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    certificate = json.loads((kept / "certificate.json").read_text(encoding="utf-8"))
    assert certificate["verdict"] == "not implemented"
    assert (kept / "badge.svg").is_file()
    # The log ends with the certificate, so `kubectl logs` shows the verdict.
    assert "**Verdict: not implemented**" in completed.stdout


@pytest.mark.timeout(120)
def test_job_script_fails_the_job_when_not_certified(tmp_path: Path) -> None:
    completed, kept = _run_job_script(tmp_path, "--floe-dbt-strict")
    assert completed.returncode != 0
    assert json.loads((kept / "certificate.json").read_text(encoding="utf-8"))["verdict"] == (
        "not certified"
    )
    assert "**Verdict: not certified**" in completed.stdout
