/**
 * Small charts drawn as plain SVG on the server: no chart library, no client JavaScript.
 * Bars for counts, a polyline per series for lines; every point has a <title> for hover.
 */
export type ChartPoint = { label: string; value: number; title?: string };

const W = 640;
const H = 160;
const PAD = { top: 12, right: 8, bottom: 22, left: 40 };

function niceMax(v: number) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return Math.ceil(v / p) * p;
}

function axis(max: number, unit: string) {
  const ih = H - PAD.top - PAD.bottom;
  return [0, 0.5, 1].map((f) => {
    const y = PAD.top + ih - f * ih;
    return (
      <g key={f}>
        <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} stroke="#e4e4e7" />
        <text x={PAD.left - 4} y={y + 3} textAnchor="end" fontSize="9" fill="#71717a">
          {Math.round(max * f * 100) / 100}
          {unit}
        </text>
      </g>
    );
  });
}

function xLabels(points: { label: string }[], x: (i: number) => number) {
  const every = Math.max(1, Math.ceil(points.length / 8));
  return points.map((p, i) =>
    i % every === 0 ? (
      <text key={i} x={x(i)} y={H - 6} textAnchor="middle" fontSize="9" fill="#71717a">
        {p.label}
      </text>
    ) : null,
  );
}

export function BarChart({ points, label, testId, color = "#4f46e5" }: { points: ChartPoint[]; label: string; testId?: string; color?: string }) {
  const max = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const bw = points.length ? iw / points.length : iw;
  return (
    <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} className="h-40 w-full" data-testid={testId}>
      {axis(max, "")}
      {points.map((p, i) => {
        const h = (p.value / max) * ih;
        return (
          <rect key={i} data-value={p.value} x={PAD.left + i * bw + 1} y={PAD.top + ih - h} width={Math.max(1, bw - 2)} height={h} fill={color}>
            <title>{p.title ?? `${p.label}: ${p.value}`}</title>
          </rect>
        );
      })}
      {xLabels(points, (i) => PAD.left + i * bw + bw / 2)}
    </svg>
  );
}

export function LineChart({ series, labels, label, unit = "", testId }: { series: { name: string; color: string; values: (number | null)[] }[]; labels: string[]; label: string; unit?: string; testId?: string }) {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null))));
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (labels.length > 1 ? (i / (labels.length - 1)) * iw : iw / 2);
  const y = (v: number) => PAD.top + ih - (v / max) * ih;
  return (
    <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} className="h-40 w-full" data-testid={testId}>
      {axis(max, unit)}
      {series.map((s) => (
        <g key={s.name}>
          <polyline
            fill="none"
            stroke={s.color}
            strokeWidth="1.5"
            points={s.values.map((v, i) => (v === null ? null : `${x(i)},${y(v)}`)).filter(Boolean).join(" ")}
          />
          {s.values.map((v, i) =>
            v === null ? null : (
              <circle key={i} cx={x(i)} cy={y(v)} r="2" fill={s.color}>
                <title>{`${s.name} ${labels[i]}: ${v}${unit}`}</title>
              </circle>
            ),
          )}
        </g>
      ))}
      {xLabels(labels.map((l) => ({ label: l })), x)}
    </svg>
  );
}

export function Legend({ items }: { items: { name: string; color: string }[] }) {
  return (
    <div className="flex gap-4 text-xs text-zinc-600">
      {items.map((i) => (
        <span key={i.name} className="flex items-center gap-1">
          <span className="inline-block h-2 w-3 rounded-sm" style={{ background: i.color }} />
          {i.name}
        </span>
      ))}
    </div>
  );
}
