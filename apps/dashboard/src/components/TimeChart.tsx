import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { age, day, when } from '../format';

/** One line of a chart; `axis: 'age'` puts it on the right-hand axis, in seconds shown as an age. */
export interface Line {
  label: string;
  values: (number | null)[];
  color: string;
  axis?: 'count' | 'age';
  dash?: boolean;
}

/** A change on the time axis: a rollout, an action, a document saved. */
export interface Marker {
  at: number; // ms
  label: string;
  kind: 'rollout' | 'action' | 'change';
}

const MARKER_COLORS: Record<Marker['kind'], string> = { rollout: '#7c3aed', action: '#d97706', change: '#2563eb' };
/** Age ticks on whole minutes, hours and days, so each label (from age()) is exact. */
const AGE_STEPS = [60, 300, 600, 1800, 3600, 2 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400];
const pad = (n: number) => String(n).padStart(2, '0');

/** age() rounds down to whole hours; a tick at 1h30 must not read "1h" like the one below it. */
function ageTick(v: number): string {
  if (v >= 3600 && v < 86400 && v % 3600 !== 0) return `${Math.floor(v / 3600)}h${pad(Math.floor((v % 3600) / 60))}`;
  return age(v);
}

/** 24 h tick labels in the viewer's zone: "14:05" over a day or less, "11-27 14:00" beyond. */
function timeTicks(u: uPlot, splits: number[]): string[] {
  const span = (u.scales['x'].max ?? 0) - (u.scales['x'].min ?? 0);
  return splits.map((s) => {
    const d = new Date(s * 1000);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    if (span <= 36 * 3600) return hm;
    return d.getHours() === 0 && d.getMinutes() === 0 ? day(d).slice(5) : `${day(d).slice(5)} ${hm}`;
  });
}

/** Vertical lines with a short label at each marker inside the plotted range. */
function markerPlugin(markers: Marker[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u: uPlot) => {
        const { ctx } = u;
        const { top, height } = u.bbox;
        const dpr = window.devicePixelRatio || 1;
        ctx.save();
        ctx.font = `${11 * dpr}px sans-serif`;
        // Labels of nearby markers are staggered down the plot so they stay readable.
        for (const [i, m] of markers.entries()) {
          const x = u.valToPos(m.at / 1000, 'x', true);
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
          ctx.strokeStyle = MARKER_COLORS[m.kind];
          ctx.fillStyle = MARKER_COLORS[m.kind];
          ctx.setLineDash([4 * dpr, 3 * dpr]);
          ctx.lineWidth = dpr;
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          ctx.fillText(m.label.slice(0, 24), x + 3 * dpr, top + (12 + 13 * (i % 4)) * dpr);
        }
        ctx.restore();
      },
    },
  };
}

/**
 * A time chart drawn by uPlot: messages on the left axis, ages on the right, changes marked on
 * the time axis. The figures it was given are also on the element (data-*), for tests and for
 * anyone reading the page without the canvas.
 */
export function TimeChart({
  times,
  lines,
  markers = [],
  range,
  height = 220,
  testId,
}: {
  /** seconds since the epoch */
  times: number[];
  lines: Line[];
  markers?: Marker[];
  /** the shown span in seconds, ending now: the axis covers it even where no sample exists */
  range: { from: number; to: number };
  height?: number;
  testId: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = lines.map((l) => `${l.label}/${l.axis ?? 'count'}`).join('|') + `#${markers.map((m) => m.at).join(',')}`;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const hasAge = lines.some((l) => l.axis === 'age');
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height,
      plugins: [markerPlugin(markers)],
      scales: {
        x: { time: true, range: () => [range.from, range.to] },
        count: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil((max ?? 0) * 1.1))] },
        age: { range: (_u, _min, max) => [0, Math.max(60, (max ?? 0) * 1.1)] },
      },
      axes: [
        { values: timeTicks },
        { scale: 'count', label: 'messages', size: 55 },
        ...(hasAge ? [{ scale: 'age', side: 1, label: 'oldest message', size: 60, grid: { show: false }, incrs: AGE_STEPS, values: (_u: uPlot, s: number[]) => s.map(ageTick) }] : []),
      ],
      series: [
        { label: 'time', value: (_u, v) => (v === null ? '–' : when(new Date(v * 1000).toISOString())) },
        ...lines.map((l) => ({
          label: l.label,
          stroke: l.color,
          width: 1.5,
          dash: l.dash ? [6, 4] : undefined,
          scale: l.axis ?? 'count',
          spanGaps: false,
          points: { show: true, size: 4 },
          value: l.axis === 'age' ? (_u: uPlot, v: number | null) => (v === null ? '–' : age(v)) : undefined,
        })),
      ],
    };
    plot.current = new uPlot(opts, [times, ...lines.map((l) => l.values)] as uPlot.AlignedData, el);
    const resize = () => plot.current?.setSize({ width: Math.max(300, el.clientWidth), height });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt when the lines, markers or range change; new figures alone go through setData below.
  }, [shape, range.from, range.to, height]);

  useEffect(() => {
    plot.current?.setData([times, ...lines.map((l) => l.values)] as uPlot.AlignedData, true);
  }, [times, lines]);

  const last = (l: Line) => {
    for (let i = l.values.length - 1; i >= 0; i--) if (l.values[i] !== null) return l.values[i];
    return null;
  };
  return (
    <div className="time-chart">
      <div
        ref={box}
        data-testid={testId}
        data-points={times.length}
        data-last={JSON.stringify(Object.fromEntries(lines.map((l) => [l.label, last(l)])))}
        data-markers={markers.length}
      />
      {times.length === 0 && <p className="muted small">No samples in this range yet.</p>}
    </div>
  );
}
