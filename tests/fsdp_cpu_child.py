"""One rank of a real FSDP run on CPU (`torchrun --nproc_per_node 2`, gloo), for tests/test_fsdp.py: torch's FSDP2
(`fully_shard`, one unit per decoder layer and the root) on the embedded tiny model with LoRA, two optimizer steps, then
a checkpoint in accelerate's SHARDED_STATE_DICT layout (`pytorch_model_fsdp_0/`, `optimizer_0/` written by
`torch.distributed.checkpoint`, one `rng_state_R.pth` per rank, `scheduler.pt`, `trainer_state.json`), loaded back into
a fresh sharded model. accelerate does not run FSDP on CPU (and FSDP1 refuses it), so this is torch's FSDP itself, not
the Trainer's path. Usage: torchrun ... tests/fsdp_cpu_child.py OUT_DIR; each rank writes OUT_DIR/rank{R}.json."""
import json, sys
from pathlib import Path

import torch, torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import get_model_state_dict, get_optimizer_state_dict
from torch.distributed.fsdp import fully_shard
from transformers import AutoModelForCausalLM
from peft import LoraConfig, get_peft_model

from sql_codegen_slm.pretrained import tiny_model_dir


def sharded_model():
    "The tiny model with LoRA on q/v, sharded: every decoder layer a unit, the root the rest."
    torch.manual_seed(0)  # the same initial weights on every rank (and in the fresh model loaded back)
    m = get_peft_model(AutoModelForCausalLM.from_pretrained(str(tiny_model_dir()), dtype=torch.float32),
                       LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    whole = sum(p.numel() for p in m.parameters())
    for layer in m.base_model.model.model.layers: fully_shard(layer)
    return fully_shard(m), whole


def lora_sum(m) -> float:
    "The sum of the LoRA weights, gathered whole (the same figure on every rank)."
    with torch.no_grad():
        return float(sum(p.full_tensor().double().sum() for n, p in m.named_parameters() if "lora_" in n))


def main(out: Path):
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    m, whole = sharded_model()
    local = sum(p.to_local().numel() for p in m.parameters())
    opt = torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1e-2)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    gen = torch.Generator().manual_seed(rank)  # each rank its own rows, as a data-parallel sampler gives
    losses = []
    for step in range(2):
        x = torch.randint(3, 100, (2, 16), generator=gen)
        loss = m(input_ids=x, labels=x).loss
        loss.backward(); opt.step(); sched.step(); opt.zero_grad()
        losses.append(loss.item())
    ck = out / "checkpoint-2"
    dcp.save({"model": get_model_state_dict(m)}, checkpoint_id=str(ck / "pytorch_model_fsdp_0"))
    dcp.save({"optimizer": get_optimizer_state_dict(m, opt)}, checkpoint_id=str(ck / "optimizer_0"))
    torch.save({"python": None, "cpu": torch.get_rng_state()}, ck / f"rng_state_{rank}.pth")
    if rank == 0:
        torch.save(sched.state_dict(), ck / "scheduler.pt")
        (ck / "trainer_state.json").write_text(json.dumps({"global_step": 2}))
    trained = lora_sum(m)
    fresh, _ = sharded_model()  # what a resumed run builds, then loads its shard into
    before = lora_sum(fresh)
    sd = {"model": get_model_state_dict(fresh)}
    dcp.load(sd, checkpoint_id=str(ck / "pytorch_model_fsdp_0"))
    from torch.distributed.checkpoint.state_dict import set_model_state_dict
    set_model_state_dict(fresh, sd["model"])
    (out / f"rank{rank}.json").write_text(json.dumps(dict(
        rank=rank, world=world, params_whole=whole, params_this_rank=local, losses=losses, lora_trained=trained,
        lora_fresh=before, lora_loaded=lora_sum(fresh))))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__": main(Path(sys.argv[1]))
