/**
 * The live RSVPs-per-second chart (uPlot). New data never moves a zoomed view: while the user
 * looks at a range, updates go through `setData(data, false)`, which keeps the scales; "jump
 * to live" (or a double click) follows the newest data again.
 */
import type { LivePoint } from "../live_state.ts";
import { type UPlot, uPlotConstructor } from "./vendor.ts";

/** The chart and its follow-live switch. */
export class LiveChart {
  readonly plot: UPlot;
  #following = true;
  #onFollowChange: (following: boolean) => void;

  constructor(element: HTMLElement, onFollowChange: (following: boolean) => void) {
    this.#onFollowChange = onFollowChange;
    const UPlotClass = uPlotConstructor();
    const options: UPlot.Options = {
      width: Math.max(280, element.clientWidth),
      height: chartHeight(element),
      cursor: { drag: { x: true, y: false, setScale: true } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [{}, { label: "RSVPs / s", size: 50 }],
      series: [
        {},
        {
          label: "yes",
          stroke: "#1a7f37",
          fill: "rgba(26,127,55,0.12)",
          width: 2,
          points: { show: false },
        },
        {
          label: "no",
          stroke: "#cf222e",
          fill: "rgba(207,34,46,0.10)",
          width: 2,
          points: { show: false },
        },
      ],
      hooks: {
        // uPlot fires setSelect only for a user's drag (ours never select), and with
        // drag.setScale that drag zooms: stop following live. (A setScale hook would not do:
        // uPlot commits scales later, so ours and the user's cannot be told apart there.)
        setSelect: [
          (u) => {
            if (u.select.width > 0) this.#setFollowing(false);
          },
        ],
      },
    };
    this.plot = new UPlotClass(options, [[], [], []], element);
    this.plot.over.addEventListener("dblclick", () => this.jumpToLive());
    new ResizeObserver(() => {
      this.plot.setSize({
        width: Math.max(280, element.clientWidth),
        height: chartHeight(element),
      });
    }).observe(element);
  }

  /** True while the view follows the newest data. */
  get following(): boolean {
    return this.#following;
  }

  /** Number of points drawn. */
  get pointCount(): number {
    return this.plot.data[0]?.length ?? 0;
  }

  /** Redraws from the points (sorted by time); keeps a zoomed view where it is. */
  render(points: readonly LivePoint[]): void {
    const data: UPlot.AlignedData = [
      points.map((p) => p.t / 1000),
      points.map((p) => p.yes),
      points.map((p) => p.no),
    ];
    this.plot.setData(data, this.#following);
  }

  /** Follows the newest data again. */
  jumpToLive(): void {
    this.#setFollowing(true);
    this.plot.setData(this.plot.data, true);
  }

  #setFollowing(following: boolean): void {
    if (this.#following === following) return;
    this.#following = following;
    this.#onFollowChange(following);
  }
}

function chartHeight(element: HTMLElement): number {
  return element.clientWidth < 500 ? 220 : 300;
}
