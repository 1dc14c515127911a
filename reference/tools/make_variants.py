# Generates a fixture directory in the format of shared/fixtures/FORMAT.md with
# other shapes, seeds and hyper-parameters, for cross-checking the reference runner.
import json, math, sys, torch
import torch.nn.functional as F
torch.manual_seed(int(sys.argv[2]) if len(sys.argv) > 2 else 123)
torch.set_default_dtype(torch.float64)
out_dir = sys.argv[1]

def T(t):
    d = {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}
    if t.dtype in (torch.int64, torch.int32):
        d = {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()], "dtype": "int64"}
    return d

cases = []
def op_case(op, fn, args, kwargs=None, kwargs_json=None, grad_mask=None):
    kwargs = kwargs or {}
    targs = []
    for i, a in enumerate(args):
        if isinstance(a, torch.Tensor) and a.is_floating_point() and (grad_mask is None or grad_mask[i]):
            a = a.clone().requires_grad_(True)
        targs.append(a)
    out = fn(*targs, **kwargs)
    up = torch.randn_like(out)
    diff = [a for a in targs if isinstance(a, torch.Tensor) and a.requires_grad]
    gs = torch.autograd.grad((out * up).sum(), diff, allow_unused=True)
    gi = iter(gs)
    grads = [T(next(gi)) if (isinstance(a, torch.Tensor) and a.requires_grad) else None for a in targs]
    cases.append({"op": op, "args": [T(a) if isinstance(a, torch.Tensor) else a for a in targs], "kwargs": kwargs_json if kwargs_json is not None else kwargs, "out": T(out), "upstream": T(up), "grads": grads})

r = lambda *s: torch.randn(*s) if s else torch.randn(())
pos = lambda *s: torch.rand(*s) + 0.5
for name, f in [("neg", torch.neg), ("exp", torch.exp), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid), ("sin", torch.sin), ("cos", torch.cos), ("square", torch.square), ("abs", torch.abs), ("relu", torch.relu)]:
    op_case(name, f, [r(2, 5)])
for name, f in [("log", torch.log), ("sqrt", torch.sqrt), ("reciprocal", torch.reciprocal)]:
    op_case(name, f, [pos(5)])
op_case("leaky_relu", F.leaky_relu, [r(3, 3)], {"negative_slope": 0.2})
op_case("elu", F.elu, [r(3, 3)], {"alpha": 0.5})
op_case("softplus", F.softplus, [r(3, 3) * 4], {"beta": 2.0, "threshold": 5.0})
op_case("gelu", F.gelu, [r(3, 3)], {"approximate": "tanh"})
op_case("gelu", F.gelu, [r(4)])
for name, f in [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div), ("maximum", torch.maximum), ("minimum", torch.minimum)]:
    b = pos(2, 3) if name == "div" else r(2, 3)
    op_case(name, f, [r(4, 1, 3), b])
    op_case(name, f, [r(3), r(2, 1)] if name != "div" else [r(3), pos(2, 1)])
op_case("pow", torch.pow, [pos(4, 1, 3), r(2, 3)])
op_case("pow_scalar", torch.pow, [pos(2, 3), -1.5], grad_mask=[True, False])
op_case("pow_scalar", torch.pow, [r(2, 3), 2.0], grad_mask=[True, False])
op_case("matmul", torch.matmul, [r(5), r(5)])
op_case("matmul", torch.matmul, [r(5), r(5, 2)])
op_case("matmul", torch.matmul, [r(3, 1, 2, 4), r(2, 4, 3)])
op_case("matmul", torch.matmul, [r(2, 3, 4), r(4)])
op_case("linear", F.linear, [r(2, 3, 4), r(6, 4)])
op_case("sum", torch.sum, [r(3, 4, 2)], {"dim": -1, "keepdim": True})
op_case("sum", torch.sum, [r(3, 4, 2)], {"dim": [0, -1], "keepdim": False})
op_case("mean", torch.mean, [r(3, 4, 2)], {"dim": [0, 1], "keepdim": True})
op_case("mean", torch.mean, [r(3, 4)])
op_case("max", lambda x: torch.max(x), [r(3, 4)])
op_case("max", lambda x, dim, keepdim: torch.max(x, dim=dim, keepdim=keepdim).values, [r(3, 4, 2)], {"dim": -1, "keepdim": True})
op_case("min", lambda x, dim, keepdim: torch.min(x, dim=dim, keepdim=keepdim).values, [r(3, 4, 2)], {"dim": 0, "keepdim": False})
op_case("logsumexp", torch.logsumexp, [r(3, 4, 2) * 5], {"dim": 0, "keepdim": True})
op_case("var", torch.var, [r(3, 5)], {"dim": 1, "keepdim": False, "unbiased": True})
op_case("var", torch.var, [r(3, 5)], {"dim": [0, 1], "keepdim": False, "unbiased": False})
op_case("norm", lambda x, p: torch.norm(x, p=p), [r(3, 4)], {"p": 1})
op_case("norm", lambda x, p, dim, keepdim: torch.norm(x, p=p, dim=dim, keepdim=keepdim), [r(3, 4)], {"p": 2, "dim": 1, "keepdim": True})
op_case("norm", lambda x, p: torch.norm(x, p=p), [r(3, 4)], {"p": "fro"})
op_case("norm", lambda x: torch.norm(x, p=float("inf")), [r(3, 4)], {}, {"p": "inf"})
op_case("reshape", lambda x, shape: x.reshape(shape), [r(2, 3, 4)], {"shape": [-1]})
op_case("reshape", lambda x, shape: x.reshape(shape), [r(2, 3, 4)], {"shape": [4, -1, 2]})
op_case("transpose", torch.transpose, [r(2, 3, 4)], {"dim0": -1, "dim1": 1})
op_case("permute", lambda x, dims: x.permute(dims), [r(2, 3, 4)], {"dims": [2, 0, 1]})
op_case("slice", lambda x, dim, start, end, step: x[:, start:end:step], [r(3, 7)], {"dim": 1, "start": 1, "end": 6, "step": 2})
op_case("slice", lambda x, dim, start, end: x[start:end], [r(5, 2)], {"dim": 0, "start": -3, "end": 5})
op_case("unsqueeze", torch.unsqueeze, [r(3, 4)], {"dim": -1})
op_case("squeeze", lambda x: x.squeeze(), [r(1, 3, 1, 4)])
op_case("expand", lambda x, shape: x.expand(shape), [r(1, 3, 1)], {"shape": [2, -1, 4]})
op_case("cat", lambda a, b, c, dim: torch.cat([a, b, c], dim=dim), [r(1, 3), r(2, 3), r(3, 3)], {"dim": 0})
op_case("stack", lambda a, b, dim: torch.stack([a, b], dim=dim), [r(2, 3), r(2, 3)], {"dim": -1})
op_case("index_select", lambda x, dim, index: torch.index_select(x, dim, torch.tensor(index)), [r(3, 4)], {"dim": 1, "index": [3, 3, 0]})
op_case("embedding", lambda w, ids: F.embedding(ids, w), [r(5, 2), torch.tensor([[[1, 4], [4, 0]], [[2, 2], [3, 1]]])])
op_case("softmax", F.softmax, [r(4, 5)], {"dim": 0})
op_case("log_softmax", F.log_softmax, [r(2, 3, 4)], {"dim": 1})
op_case("cross_entropy", F.cross_entropy, [r(5, 4), torch.tensor([0, 3, -100, 1, 3])], {"ignore_index": -100, "label_smoothing": 0.1})
op_case("cross_entropy", F.cross_entropy, [r(5, 4), torch.tensor([0, 3, 2, 1, 3])], {"reduction": "sum"})
op_case("cross_entropy", lambda x, y, weight, label_smoothing: F.cross_entropy(x, y, weight=weight, label_smoothing=label_smoothing), [r(3, 4, 2), torch.tensor([[0, 3], [2, 2], [1, 0]])], {"weight": torch.tensor([0.5, 1.0, 2.0, 1.5]), "label_smoothing": 0.2}, {"weight": T(torch.tensor([0.5, 1.0, 2.0, 1.5])), "label_smoothing": 0.2})
op_case("mse_loss", F.mse_loss, [r(4, 3), r(4, 3)], {"reduction": "sum"})
op_case("binary_cross_entropy_with_logits", lambda x, t, pos_weight: F.binary_cross_entropy_with_logits(x, t, pos_weight=pos_weight), [r(4, 3) * 3, torch.rand(4, 3)], {"pos_weight": torch.tensor([1.0, 2.0, 0.5])}, {"pos_weight": T(torch.tensor([1.0, 2.0, 0.5]))}, grad_mask=[True, False])
op_case("where", lambda c, a, b: torch.where(c > 0, a, b), [r(3, 1), r(1, 4), r(3, 4)], grad_mask=[False, True, True])
op_case("clamp", torch.clamp, [r(3, 4)], {"min": -0.3})
op_case("clamp", torch.clamp, [r(3, 4)], {"max": 0.1})
json.dump({"format": 1, "dtype": "float64", "cases": cases}, open(f"{out_dir}/ops.json", "w"))

# recurrent
rec = []
def rec_case(kind, I, H, L, bidir, batch_first, nonlin, B, S, with_h0, bias=True):
    mod = {"rnn": lambda: torch.nn.RNN(I, H, L, nonlinearity=nonlin, bias=bias, batch_first=batch_first, bidirectional=bidir),
           "lstm": lambda: torch.nn.LSTM(I, H, L, bias=bias, batch_first=batch_first, bidirectional=bidir),
           "gru": lambda: torch.nn.GRU(I, H, L, bias=bias, batch_first=batch_first, bidirectional=bidir)}[kind]()
    D = 2 if bidir else 1
    x = (r(B, S, I) if batch_first else r(S, B, I)).requires_grad_(True)
    h0 = r(L * D, B, H).requires_grad_(True) if with_h0 else None
    c0 = r(L * D, B, H).requires_grad_(True) if (with_h0 and kind == "lstm") else None
    if kind == "lstm":
        out, (hn, cn) = mod(x, (h0, c0) if with_h0 else None)
    else:
        out, hn = mod(x, h0); cn = None
    ups = {"out": torch.randn_like(out), "hn": torch.randn_like(hn), "cn": torch.randn_like(cn) if cn is not None else None}
    loss = (out * ups["out"]).sum() + (hn * ups["hn"]).sum() + ((cn * ups["cn"]).sum() if cn is not None else 0)
    names = [n for n, _ in mod.named_parameters()]
    inputs = [x] + ([h0] if h0 is not None else []) + ([c0] if c0 is not None else []) + [p for _, p in mod.named_parameters()]
    gs = torch.autograd.grad(loss, inputs)
    grads = {"x": T(gs[0]), "h0": T(gs[1]) if h0 is not None else None, "c0": T(gs[2]) if c0 is not None else None}
    off = 1 + (h0 is not None) + (c0 is not None)
    for i, n in enumerate(names): grads[f"params.{n}"] = T(gs[off + i])
    rec.append({"kind": kind, "nonlinearity": nonlin if kind == "rnn" else None, "input_size": I, "hidden_size": H, "num_layers": L, "bidirectional": bidir, "batch_first": batch_first, "bias": bias,
                "params": {n: T(p) for n, p in mod.named_parameters()}, "x": T(x), "h0": T(h0) if h0 is not None else None, "c0": T(c0) if c0 is not None else None,
                "out": T(out), "hn": T(hn), "cn": T(cn) if cn is not None else None, "upstream": {k: (T(v) if v is not None else None) for k, v in ups.items()}, "grads": grads})
rec_case("rnn", 2, 3, 2, True, False, "relu", 3, 4, True)
rec_case("rnn", 4, 2, 1, False, True, "tanh", 1, 7, False, bias=False)
rec_case("lstm", 2, 3, 3, False, False, None, 2, 3, True)
rec_case("lstm", 3, 5, 2, True, True, None, 2, 4, False)
rec_case("gru", 3, 4, 2, True, True, None, 2, 5, True)
rec_case("gru", 2, 2, 1, False, False, None, 4, 6, False, bias=False)
json.dump({"format": 1, "dtype": "float64", "conventions": "see FORMAT.md", "cases": rec}, open(f"{out_dir}/recurrent.json", "w"))

# optim
opt_cases = []
def opt_case(name, hyper, shape):
    p0 = r(*shape)
    p = p0.clone().requires_grad_(True)
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}[name]
    kw = dict(hyper)
    if "betas" in kw: kw["betas"] = tuple(kw["betas"])
    opt = cls([p], **kw)
    grads, after = [], []
    for i in range(7):
        g = r(*shape) * (3 if i == 2 else 1)
        p.grad = g.clone(); opt.step(); grads.append(T(g)); after.append(T(p))
    opt_cases.append({"optimizer": name, "hyper": hyper, "param0": T(p0), "grads": grads, "params_after_each_step": after})
opt_case("sgd", {"lr": 0.2, "momentum": 0.7, "nesterov": True, "weight_decay": 0.05}, [4])
opt_case("sgd", {"lr": 0.1, "maximize": True}, [2, 3, 2])
opt_case("sgd", {"lr": 0.1, "momentum": 0.5, "dampening": 0.5}, [3])
opt_case("adam", {"lr": 0.03, "betas": [0.5, 0.9], "amsgrad": True, "weight_decay": 0.02}, [2, 2])
opt_case("adam", {"lr": 0.01, "maximize": True, "eps": 1e-4}, [5])
opt_case("adamw", {"lr": 0.05, "amsgrad": True}, [3, 2])
opt_case("adamw", {"lr": 0.05, "weight_decay": 0.5, "betas": [0.7, 0.8]}, [3])
opt_case("rmsprop", {"lr": 0.02, "centered": True}, [2, 3])
opt_case("rmsprop", {"lr": 0.02, "momentum": 0.9, "alpha": 0.8, "eps": 1e-3}, [4])
opt_case("adagrad", {"lr": 0.3, "lr_decay": 0.1, "eps": 1e-6}, [2, 2])
json.dump({"format": 1, "dtype": "float64", "conventions": "PyTorch 1.13", "cases": opt_cases}, open(f"{out_dir}/optim.json", "w"))

# clip
clip_cases = []
def grads_set(scale):
    return [r(2, 3) * scale, r(4) * scale, r() * scale, r(3, 1, 2) * scale]
for scale in [0.05, 4.0]:
    for nt in [2.0, 1.0, "inf"]:
        gs = grads_set(scale); ps = [g.clone().requires_grad_(True) for g in gs]
        for p, g in zip(ps, gs): p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, 0.5, norm_type=float("inf") if nt == "inf" else nt)
        clip_cases.append({"method": "global_norm_torch", "max_norm": 0.5, "norm_type": nt, "grads": [T(g) for g in gs], "total_norm": float(total), "clipped": [T(p.grad) for p in ps]})
    gs = grads_set(scale)
    total = torch.sqrt(sum((g ** 2).sum() for g in gs))
    clip_cases.append({"method": "global_norm_exact", "max_norm": 2.0, "grads": [T(g) for g in gs], "total_norm": float(total), "clipped": [T(g * 2.0 / torch.maximum(total, torch.tensor(2.0))) for g in gs]})
    gs = grads_set(scale)
    clip_cases.append({"method": "per_tensor_norm", "max_norm": 0.3, "grads": [T(g) for g in gs], "clipped": [T(g * 0.3 / torch.maximum(g.norm(), torch.tensor(0.3))) for g in gs]})
    gs = grads_set(scale)
    clip_cases.append({"method": "value", "clip_value": 0.2, "grads": [T(g) for g in gs], "clipped": [T(g.clamp(-0.2, 0.2)) for g in gs]})
    gs = grads_set(scale); ps = [r(*g.shape) for g in gs]
    def agc(p, g, clipping=0.05, eps=0.01):
        if p.dim() <= 1:
            pn = p.abs(); gn = g.abs()
        else:
            dims = tuple(range(1, p.dim())); pn = p.norm(dim=dims, keepdim=True); gn = g.norm(dim=dims, keepdim=True)
        mx = torch.clamp(pn, min=eps) * clipping
        return torch.where(gn > mx, g * (mx / torch.clamp(gn, min=1e-6)), g)
    clip_cases.append({"method": "agc", "clipping": 0.05, "eps": 0.01, "params": [T(p) for p in ps], "grads": [T(g) for g in gs], "clipped": [T(agc(p, g)) for p, g in zip(ps, gs)]})
json.dump({"format": 1, "dtype": "float64", "cases": clip_cases}, open(f"{out_dir}/clip.json", "w"))

# train
train = []
def train_case(kind, H, optname, hyper, clip, steps=15, layers=1, bidirectional=False):
    I, C, B, S = 2, 4, 5, 7
    rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind](I, H, num_layers=layers, bidirectional=bidirectional, batch_first=True)
    head = torch.nn.Linear(H * (2 if bidirectional else 1), C)
    named = [("rnn." + n, p) for n, p in rnn.named_parameters()] + [("head." + n, p) for n, p in head.named_parameters()]
    init = {n: T(p) for n, p in named}
    params = [p for _, p in named]
    kw = dict(hyper)
    if "betas" in kw: kw["betas"] = tuple(kw["betas"])
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}[optname](params, **kw)
    x = r(B, S, I); y = torch.randint(0, C, (B,))
    losses, norms = [], []
    for _ in range(steps):
        opt.zero_grad(); out, _ = rnn(x); loss = F.cross_entropy(head(out[:, -1]), y); losses.append(float(loss)); loss.backward()
        m = clip["method"]
        if m == "global_norm_torch":
            nt = clip.get("norm_type", 2.0)
            norms.append(float(torch.nn.utils.clip_grad_norm_(params, clip["max_norm"], norm_type=float("inf") if nt == "inf" else nt)))
        elif m == "value":
            torch.nn.utils.clip_grad_value_(params, clip["clip_value"])
        elif m == "per_tensor_norm":
            for p in params: p.grad.mul_(clip["max_norm"] / torch.maximum(p.grad.norm(), torch.tensor(clip["max_norm"])))
        elif m == "global_norm_exact":
            total = torch.sqrt(sum((p.grad ** 2).sum() for p in params))
            for p in params: p.grad.mul_(clip["max_norm"] / torch.maximum(total, torch.tensor(clip["max_norm"])))
        opt.step()
    train.append({"model": {"kind": kind, "input_size": I, "hidden_size": H, "classes": C, "num_layers": layers, "bidirectional": bidirectional}, "init": init, "x": T(x), "y": T(y), "optimizer": optname, "hyper": hyper, "clip": clip, "losses": losses, "total_norms_before_clip": norms, "final": {n: T(p) for n, p in named}})
train_case("gru", 5, "adam", {"lr": 0.03, "amsgrad": True}, {"method": "global_norm_torch", "max_norm": 0.3, "norm_type": 1.0})
train_case("lstm", 4, "adamw", {"lr": 0.02, "weight_decay": 0.1}, {"method": "per_tensor_norm", "max_norm": 0.2})
train_case("rnn", 6, "sgd", {"lr": 0.2, "momentum": 0.8, "nesterov": True}, {"method": "global_norm_exact", "max_norm": 0.5})
train_case("lstm", 3, "rmsprop", {"lr": 0.01, "centered": True, "momentum": 0.5}, {"method": "value", "clip_value": 0.02})
train_case("gru", 4, "adagrad", {"lr": 0.1}, {"method": "global_norm_torch", "max_norm": 0.1, "norm_type": "inf"})
train_case("lstm", 3, "adam", {"lr": 0.02}, {"method": "global_norm_torch", "max_norm": 0.5}, layers=2, bidirectional=True)
json.dump({"format": 1, "dtype": "float64", "conventions": "see FORMAT.md", "cases": train}, open(f"{out_dir}/train.json", "w"))
print("ok", len(cases), len(rec), len(opt_cases), len(clip_cases), len(train))
