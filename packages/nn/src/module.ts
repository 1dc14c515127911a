/**
 * Module: the base of every layer. Parameters and submodules are discovered
 * from the module's own properties — a Parameter, a Module, or an array, Map
 * or plain object of them (nested containers too, like PyTorch's ModuleList
 * and ModuleDict) — in declaration order, so there is no registration list to
 * keep in sync. Names follow PyTorch (`rnn.weight_ih_l0`, `layers.0.bias`,
 * `heads.left.weight`). A module or parameter reachable twice (a layer used
 * twice, weight tying) is listed once, under its first name, as in PyTorch.
 */
import type { FloatArray } from '@tapegrad/autograd';
import { Tensor, ValueError, checkOptions, describeValue, formatShape, kernels, optionalBoolean } from '@tapegrad/autograd';
import { Parameter } from './parameter.js';

type Child = Module | Parameter;

/** Plain objects (`{}` literals, null-prototype objects) hold children like a ModuleDict. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The modules and parameters inside a property value, with their dotted sub-names. */
function entriesOf(value: unknown, seen: Set<unknown> = new Set()): [string, Child][] | null {
  if (value instanceof Module || value instanceof Parameter) return [['', value]];
  let items: [string, unknown][];
  if (Array.isArray(value)) items = value.map((v, i) => [String(i), v]);
  else if (value instanceof Map) items = [...value].map(([k, v]) => [String(k), v]);
  else if (isPlainObject(value)) items = Object.keys(value).map((k) => [k, value[k]]);
  else return null;
  if (seen.has(value)) return null;
  seen.add(value);
  const out: [string, Child][] = [];
  for (const [k, v] of items) {
    const inner = entriesOf(v, seen);
    if (inner) for (const [sub, child] of inner) out.push([sub ? `${k}.${sub}` : k, child]);
  }
  return out.length ? out : null;
}

/** Base class of layers and models; see the file comment for how parameters are found. */
export abstract class Module {
  /** Training mode (dropout active); eval() turns it off. */
  training = true;

  /** Direct children and own parameters, with their names, in declaration order. */
  private members(): [string, Child][] {
    const out: [string, Child][] = [];
    for (const key of Object.keys(this)) {
      if (key === 'training') continue;
      const found = entriesOf((this as Record<string, unknown>)[key]);
      if (found) for (const [sub, child] of found) out.push([sub ? `${key}.${sub}` : key, child]);
    }
    return out;
  }

  /** [name, parameter] for this module and all descendants, each parameter once. */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const visited = new Set<Module>();
    const walk = (m: Module, pre: string) => {
      // A module reachable twice (used twice, or a cycle) is walked once.
      if (visited.has(m)) return;
      visited.add(m);
      for (const [name, child] of m.members()) {
        const full = pre ? `${pre}.${name}` : name;
        if (child instanceof Parameter) {
          if (!seen.has(child)) {
            seen.add(child);
            out.push([full, child]);
          }
        } else walk(child, full);
      }
    };
    walk(this, prefix);
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Direct submodules with their names. */
  namedChildren(): [string, Module][] {
    return this.members().filter((e): e is [string, Module] => e[1] instanceof Module);
  }
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }
  /** This module and every descendant, depth first, with dotted names ('' for this one); each module once. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const visited = new Set<Module>();
    const walk = (m: Module, name: string) => {
      if (visited.has(m)) return;
      visited.add(m);
      out.push([name, m]);
      for (const [child, c] of m.namedChildren()) walk(c, name ? `${name}.${child}` : child);
    };
    walk(this, prefix);
    return out;
  }
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /**
   * Clears every parameter's gradient (null by default, or zeros in place;
   * see Optimizer.zeroGrad for what keeping the storage buys on the
   * WebAssembly backend).
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    checkOptions('Module.zeroGrad', options, ['setToNone']);
    const setToNone = optionalBoolean('Module.zeroGrad', 'setToNone', options.setToNone, true);
    for (const p of this.parameters()) {
      if (!p.grad) continue;
      if (setToNone) p.grad = null;
      else p.grad.data = kernels.zeroKept(p.grad.data as FloatArray);
    }
  }

  /** Calls fn on every module (children first, then this one), like torch's apply. */
  apply(fn: (m: Module) => void): this {
    const visited = new Set<Module>();
    const walk = (m: Module) => {
      if (visited.has(m)) return;
      visited.add(m);
      for (const c of m.children()) walk(c);
      fn(m);
    };
    walk(this);
    return this;
  }

  /** Number of parameter elements (trainable only by default). */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** A snapshot of every parameter, by name: copies, so later training does not change it. */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, p] of this.namedParameters()) out[name] = p.detach().clone();
    return out;
  }

  /**
   * Copies values into the parameters by name. Everything is checked first —
   * missing and unexpected keys (when strict, the default), shapes and dtypes —
   * and on any problem it throws naming the key, leaving the module unchanged.
   */
  loadStateDict(sd: Record<string, Tensor>, options: { strict?: boolean } = {}): { missing: string[]; unexpected: string[] } {
    const fn = 'loadStateDict';
    if (sd === null || typeof sd !== 'object' || Array.isArray(sd)) throw new ValueError(fn, `expected an object of named tensors, got ${describeValue(sd)}`);
    checkOptions(fn, options, ['strict']);
    const strict = optionalBoolean(fn, 'strict', options.strict, true);
    const named = new Map(this.namedParameters());
    // Own keys only: "__proto__" or "constructor" in a file are unexpected keys like any other.
    const keys = Object.keys(sd);
    const has = (k: string) => Object.prototype.hasOwnProperty.call(sd, k);
    const missing = [...named.keys()].filter((k) => !has(k));
    const unexpected = keys.filter((k) => !named.has(k));
    if (strict && (missing.length || unexpected.length)) {
      const parts = [missing.length ? `missing keys: ${missing.join(', ')}` : '', unexpected.length ? `unexpected keys: ${unexpected.join(', ')}` : ''].filter(Boolean);
      throw new ValueError(fn, parts.join('; '));
    }
    // Validate every entry before writing any: a bad one must not leave the module half-loaded.
    const writes: [Parameter, Tensor][] = [];
    for (const k of keys) {
      const p = named.get(k);
      if (!p) continue;
      const t: unknown = sd[k];
      if (!(t instanceof Tensor)) throw new ValueError(fn, `'${k}' is not a tensor (got ${describeValue(t)})`);
      if (t.shape.join() !== p.shape.join()) throw new ValueError(fn, `shape mismatch for '${k}': checkpoint ${formatShape(t.shape)}, model ${formatShape(p.shape)}`);
      if (t.dtype !== p.dtype) throw new ValueError(fn, `dtype mismatch for '${k}': checkpoint ${t.dtype}, model ${p.dtype}`);
      if (t.data.length !== p.size) throw new ValueError(fn, `'${k}' holds ${t.data.length} values but its shape ${formatShape(t.shape)} needs ${p.size}`);
      writes.push([p, t]);
    }
    for (const [p, t] of writes) p.data.set(t.data);
    return { missing, unexpected };
  }

  /**
   * Converts every parameter to `dtype` in place (torch's module.to(dtype));
   * the Parameter objects stay the same, their gradients are dropped. Create
   * the optimizer after converting: its state follows the parameters' dtype.
   */
  to(dtype: 'float32' | 'float64'): this {
    if (dtype !== 'float32' && dtype !== 'float64') throw new ValueError('Module.to', `dtype must be 'float32' or 'float64', got ${describeValue(dtype)}`);
    for (const p of this.parameters()) {
      if (p.dtype === dtype) continue;
      p.setData(dtype === 'float64' ? Float64Array.from(p.data) : Float32Array.from(p.data));
    }
    return this;
  }
  /** module.to('float64'). */
  double(): this {
    return this.to('float64');
  }
  /** module.to('float32'). */
  float(): this {
    return this.to('float32');
  }

  /** Extra text for toString (layer sizes). */
  protected describe(): string {
    return '';
  }

  /** A summary: the module tree with parameter shapes and counts. */
  toString(): string {
    const lines: string[] = [];
    const walk = (m: Module, name: string, depth: number) => {
      const pad = '  '.repeat(depth);
      const own = m.members().filter((e): e is [string, Parameter] => e[1] instanceof Parameter);
      const count = m.numParameters();
      lines.push(`${pad}${name ? `(${name}): ` : ''}${m.constructor.name}(${m.describe()})${count ? `  # ${count.toLocaleString('en-US')} params` : ''}`);
      for (const [pn, p] of own) lines.push(`${pad}  ${pn}: ${formatShape(p.shape)} ${p.dtype}`);
      for (const [cn, c] of m.namedChildren()) walk(c, cn, depth + 1);
    };
    walk(this, '', 0);
    return lines.join('\n');
  }
}
