"""FSDP-QLoRA, the CPU part (issue 32): the `fsdp` preset's launcher dry run and the accelerate config it would use
(read back by accelerate's own launch parser, agreeing with the Trainer's FSDP plugin), the launcher's refusals, FSDP
training on CPU refused before anything starts (accelerate would silently train plain DDP), and a real sharded
checkpoint: torch's FSDP2 on CPU (2 gloo ranks, the tiny model with LoRA) saves it in accelerate's SHARDED_STATE_DICT
layout, each rank holds half of the parameters, the checkpoint loads back, and `sharded_checkpoint_problems` accepts it
where today's `storage.checkpoint_problems` names what it lacks. Nothing here ran on GPUs: none with 2 or more lent."""
import json, os, subprocess, sys
from pathlib import Path

from gcs_emulator import free_port
import yaml

from sql_codegen_slm import distributed, storage
from sql_codegen_slm.config import load_config

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1",
       "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


def _launch(capsys, *args) -> tuple[int, str, str]:
    "`sql-codegen-launch ARGS` (its `main`): exit code, stdout, stderr."
    rc = distributed.main(list(map(str, args)))
    out, err = capsys.readouterr()
    return rc, out, err


def test_dry_run_prints_the_command_and_the_accelerate_config(tmp_path, capsys):
    out = tmp_path / "run"
    rc, stdout, stderr = _launch(capsys, "--config", "fsdp", "--gpus", 4, "--dry-run", "--set",
                                 f"training.output_dir={out}", "--set", "training.hub_token=s3cret")
    assert rc == 0, stderr
    text, _, cmd = stdout.partition("# command\n")
    conf = tmp_path / "run.accelerate.yaml"
    assert cmd.strip() == (f"accelerate launch --config_file {conf} -m sql_codegen_slm.train --config fsdp --set "
                           f"training.output_dir={out} --set 'training.hub_token=<redacted>'"), cmd
    assert "s3cret" not in stdout + stderr
    assert not conf.exists() and not out.exists()  # a dry run writes nothing
    acc = yaml.safe_load(text)
    assert (acc["distributed_type"], acc["num_processes"]) == ("FSDP", 4)
    # accelerate's own launcher reads the config as it would at launch: the environment it gives the ranks
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from accelerate.utils.launch import prepare_multi_gpu_env
    conf.write_text(text)
    args = launch_command_parser().parse_args(["--config_file", str(conf), "-m", "sql_codegen_slm.train"])
    _validate_launch_command(args)
    env = prepare_multi_gpu_env(args)
    # ... and it says what the Trainer's own FSDP plugin (from TrainingArguments' fsdp fields) says
    from sql_codegen_slm.train import training_args
    p = training_args(load_config("fsdp", [f"training.output_dir={out}"])).fsdp_plugin_args
    assert env["ACCELERATE_USE_FSDP"] == "true" and env["FSDP_VERSION"] == str(p["fsdp_version"]) == "1"
    assert env["FSDP_SHARDING_STRATEGY"] == p["reshard_after_forward"].upper() == "FULL_SHARD"
    for key, field in [("STATE_DICT_TYPE", "state_dict_type"), ("AUTO_WRAP_POLICY", "auto_wrap_policy")]:
        assert env[f"FSDP_{key}"] == p[field], (key, env[f"FSDP_{key}"], p[field])
    flags = ["cpu_ram_efficient_loading", "use_orig_params", "sync_module_states", "activation_checkpointing"]
    for key, field in [(f.upper(), f) for f in flags]:
        assert env[f"FSDP_{key}"] == str(p[field]).lower(), (key, env[f"FSDP_{key}"], p[field])
    assert env["FSDP_STATE_DICT_TYPE"] == "SHARDED_STATE_DICT" and env["FSDP_OFFLOAD_PARAMS"] == "false"


def test_ddp_config_dry_run_is_a_multi_gpu_launch(capsys):
    rc, stdout, stderr = _launch(capsys, "--config", "full", "--gpus", 2, "--dry-run")
    assert rc == 0, stderr
    assert yaml.safe_load(stdout.partition("# command\n")[0])["distributed_type"] == "MULTI_GPU"


def test_launcher_refusals(tmp_path, capsys):
    out = tmp_path / "run"
    assert distributed.main(["--config", "fsdp", "--gpus", "2", "--set", f"training.output_dir={out}"]) == 2
    assert "--gpus 2 but this machine has 0 CUDA device(s)" in capsys.readouterr().err
    assert not (tmp_path / "run.accelerate.yaml").exists()
    assert distributed.main(["--config", "fsdp", "--gpus", "1", "--dry-run"]) == 2
    assert "a launch needs 2 or more GPUs" in capsys.readouterr().err
    assert distributed.main(["--config", "fsdp", "--gpus", "2", "--dry-run", "--set", "training.fsdp_confg={}"]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'training.fsdp_confg'" in err and "Did you mean 'fsdp_config'?" in err, err


def test_fsdp_training_on_cpu_is_refused_before_anything_starts(tmp_path):
    "2 gloo ranks with training.fsdp: accelerate would drop FSDP and train DDP; both ranks stop, saying why."
    fsdp = ["training.fsdp=full_shard", "training.fsdp_config={state_dict_type: SHARDED_STATE_DICT}"]
    cfg = load_config("smoke", [*fsdp, f"training.output_dir={tmp_path / 'unused'}"]).save(tmp_path / "fsdp.yaml")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(free_port()), "-m", "sql_codegen_slm.train", "--config", str(cfg),
           "--output_dir", str(tmp_path / "run")]
    p = subprocess.run(cmd, capture_output=True, text=True, env=ENV, cwd=REPO, timeout=180)
    assert p.returncode != 0
    said = "sql-codegen-train: error: training.fsdp is set but this run has no CUDA device"
    # The first rank to refuse exits 2 and torchrun SIGTERMs the other, which may not have printed yet: once or twice
    assert 1 <= p.stderr.count(said) <= 2, p.stderr[-3000:]
    assert "exitcode  : 2" in p.stderr, p.stderr[-3000:]  # a rank refused (not a crash, not torchrun's own error)
    assert not (tmp_path / "run").exists()  # before the process group, the model or the run directory


def test_fsdp_in_one_process_is_refused_and_nothing_is_written(tmp_path, capsys):
    "`sql-codegen-train --config fsdp` on this machine: one line saying why and what to do, no run directory."
    from sql_codegen_slm.train import main
    out = tmp_path / "run"
    rc = main(["--config", "fsdp", "--output_dir", str(out), "--set", "logging.remote_dir=null"])
    err = capsys.readouterr().err
    assert rc == 2 and "training.fsdp is set but this run has no CUDA device" in err and "sql-codegen-launch" in err, err
    assert not out.exists()


def test_sharded_checkpoint_written_by_fsdp_on_cpu(tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(free_port()), str(REPO / "tests" / "fsdp_cpu_child.py"), str(tmp_path)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=ENV, cwd=REPO, timeout=180)
    assert p.returncode == 0, p.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    whole = ranks[0]["params_whole"]
    # sharded: each rank holds its half of every parameter (dim 0 split, the odd row to rank 0), not the whole model
    assert sum(r["params_this_rank"] for r in ranks) == whole
    assert all(abs(r["params_this_rank"] - whole / 2) <= 0.001 * whole for r in ranks), ranks
    # trained, saved sharded, loaded back into a fresh sharded model: the same LoRA weights, not the initial ones
    for r in ranks: assert r["lora_loaded"] == r["lora_trained"] != r["lora_fresh"], r
    ck = tmp_path / "checkpoint-2"
    assert sorted(p.name for p in (ck / "pytorch_model_fsdp_0").iterdir()) == [".metadata", "__0_0.distcp",
                                                                                 "__1_0.distcp"]
    assert distributed.sharded_checkpoint_problems(ck) == []
    # what the project's verification says of this layout today: refused, naming what it lacks
    probs = storage.checkpoint_problems(ck)
    assert "adapter_model.safetensors missing" in probs and "optimizer.pt missing" in probs, probs
    (ck / "optimizer_0" / "__1_0.distcp").write_bytes(b"")
    (ck / "pytorch_model_fsdp_0" / "__1_0.distcp").unlink()
    assert distributed.sharded_checkpoint_problems(ck) == ["pytorch_model_fsdp_0: 1 shard(s) for 2 rank(s)",
                                                           "optimizer_0/__1_0.distcp is empty"]
    print(f"\nFSDP2 on CPU (2 gloo ranks, tiny model + LoRA r=8): {whole:,} parameters, per rank "
          f"{ranks[0]['params_this_rank']:,} and {ranks[1]['params_this_rank']:,}")
