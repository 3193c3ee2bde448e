import { money } from "./money-ui.tsx";

export interface Bar {
  /** Short label under the bar ("Mar"). */
  label: string;
  /** Second label line, e.g. the year under January. */
  sublabel?: string;
  /** Minor units, ≥ 0. */
  value: bigint;
  /** Tooltip and accessible name ("March 2026: €4.20, projected"). */
  title: string;
  /** Drawn lighter: not final yet. */
  provisional?: boolean;
}

/** SVG coordinates to a tenth of a pixel (geometry only: amounts never pass through here). */
const px = (n: number): string => String(Math.round(n * 10) / 10);

const WIDTH = 560;
const HEIGHT = 220;
const TOP = 22;
const BOTTOM = 36;
const SIDE = 4;

/**
 * A server-rendered SVG bar chart of amounts (no script, no library). It scales with the page
 * width through its viewBox; the same figures are in a table beside it for screen readers.
 */
export function BarChart(props: { bars: Bar[]; currency: string; caption: string }) {
  const { bars, currency } = props;
  let max = 0n;
  for (const b of bars) if (b.value > max) max = b.value;
  const plot = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - 2 * SIDE) / Math.max(bars.length, 1);
  const barWidth = Math.min(slot * 0.7, 48);
  // Pixel heights only: money stays bigint, the drawing may round.
  const heightOf = (v: bigint) => (max === 0n ? 0 : Number((v * BigInt(plot * 100)) / max) / 100);
  const baseline = TOP + plot;
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={props.caption}
        xmlns="http://www.w3.org/2000/svg"
      >
        <line class="axis" x1={SIDE} x2={WIDTH - SIDE} y1={baseline} y2={baseline} />
        {bars.map((b, i) => {
          const h = heightOf(b.value);
          const cx = SIDE + slot * i + slot / 2;
          return (
            <g data-label={b.label}>
              <title>{b.title}</title>
              <rect
                class="bar"
                x={px(cx - barWidth / 2)}
                y={px(baseline - h)}
                width={px(barWidth)}
                height={px(h)}
                rx="2"
                opacity={b.provisional ? "0.45" : undefined}
              />
              {b.value > 0n && (
                <text class="value" x={px(cx)} y={px(baseline - h - 5)} text-anchor="middle">
                  {money(b.value, currency)}
                </text>
              )}
              <text x={px(cx)} y={baseline + 15} text-anchor="middle">
                {b.label}
              </text>
              {b.sublabel && (
                <text x={px(cx)} y={baseline + 29} text-anchor="middle">
                  {b.sublabel}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>{max === 0n ? `${props.caption} Nothing yet.` : props.caption}</figcaption>
    </figure>
  );
}
