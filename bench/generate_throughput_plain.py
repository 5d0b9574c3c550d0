"""The device run of 2026-11-29 (issue 14): plain HF `generate` on a random MistralConfig() model with a LoRA adapter.

The device tool copies the main checkout, not a helper's branch, so bench/generate_throughput.py (which drives the
project's own `generate.generate_sql`) could not run there; this self-contained script (passed inline, gzip+base64, in
the device command) measures the same levers with transformers/peft/bitsandbytes alone: random prompts of the realistic
length distribution (median 550, p90 1,200, [64, 1500] tokens), exactly 128 new tokens (min_new_tokens), greedy.
Prints `|variant|queries|queries/s|new tokens/s|batch|peak GiB|`.

    PYTHONPATH=/tmp/site python3 bench/generate_throughput_plain.py      # on the GPU (wheels as in GPU.md)
"""
import torch,time,math
from transformers import MistralConfig as C,MistralForCausalLM as M,AutoModelForCausalLM as A,BitsAndBytesConfig as B
from peft import LoraConfig,get_peft_model,PeftModel
T="q_proj k_proj v_proj o_proj gate_proj up_proj down_proj".split()
torch.manual_seed(0)
with torch.device("cuda"): m=M._from_config(C(),dtype=torch.bfloat16)
m.save_pretrained("/tmp/b");get_peft_model(m,LoraConfig(r=16,lora_alpha=32,target_modules=T)).save_pretrained("/tmp/a")
del m;torch.cuda.empty_cache()
g=torch.Generator().manual_seed(0)
L=torch.exp(math.log(550)+0.611*torch.randn(164,generator=g)).clamp(64,1500).long().tolist()
P=[torch.randint(3,32000,(n,),generator=g) for n in L]
def run(k,mod,idx,bs,c=True):
 torch.cuda.synchronize();torch.cuda.reset_peak_memory_stats();t=time.time()
 for i in range(0,len(idx),bs):
  b=[P[j] for j in idx[i:i+bs]];n=max(map(len,b))
  ids=torch.stack([torch.cat([torch.zeros(n-len(x),dtype=torch.long),x]) for x in b]).cuda()
  mod.generate(input_ids=ids,attention_mask=(ids!=0).long(),max_new_tokens=128,min_new_tokens=128,do_sample=False,pad_token_id=0,use_cache=c)
 torch.cuda.synchronize();s=time.time()-t
 print(f"|{k}|{len(idx)}|{len(idx)/s:.2f}|{len(idx)*128/s:.0f}|{bs}|{torch.cuda.max_memory_allocated()/2**30:.1f}|",flush=True)
q=B(load_in_4bit=True,bnb_4bit_quant_type="nf4",bnb_4bit_use_double_quant=True,bnb_4bit_compute_dtype=torch.bfloat16)
m=PeftModel.from_pretrained(A.from_pretrained("/tmp/b",quantization_config=q,device_map={"":0}),"/tmp/a").eval()
S=sorted(range(164),key=lambda i:-L[i])
run("4bit+LoRA b8",m,list(range(16)),8);run("4bit+LoRA b8 no cache",m,list(range(8)),8,False);run("4bit sorted b128",m,S,128)
del m;torch.cuda.empty_cache()
m=PeftModel.from_pretrained(A.from_pretrained("/tmp/b",dtype=torch.bfloat16,device_map={"":0}),"/tmp/a").merge_and_unload().eval()
run("merged bf16 b8",m,list(range(16)),8);run("merged bf16 sorted b128",m,S,128)
