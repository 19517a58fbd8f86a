// live/plot.ts: LivePlot, the live-updating plotly figure of a notebook (display once, then throttled
// update_display_data for the same display id). No kernel or server needed.
import { describe, expect, it } from "vitest";
import { LivePlot } from "../live/plot";

describe("LivePlot", () => {
  it("displays once with a display_id, then sends throttled update_display_data for the same id", async () => {
    const sent: { update: boolean; id: string; mime: string[]; title?: string; points?: number }[] = [];
    const plot = new LivePlot({
      title: "uascan",
      x: "a_stage_r",
      series: ["PD_USAXS"],
      intervalMs: 40,
      writer: (m, update) => {
        const fig = m.data["application/vnd.plotly.v1+json"] as { data: { x: { bdata: string } }[]; layout: { title: { text: string } } } | undefined;
        const entry = { update, id: m.transient.display_id, mime: Object.keys(m.data).sort() };
        if (fig === undefined) sent.push(entry);
        else sent.push({ ...entry, title: fig.layout.title.text, points: Buffer.from(fig.data[0].x.bdata, "base64").length / 4 }); // float32 x values
      },
    }).show();
    for (let i = 0; i < 20; i++) plot.append([i], { PD_USAXS: [i * i] });
    await new Promise((r) => setTimeout(r, 60));
    plot.finish("success");
    expect(sent[0]).toMatchObject({ update: false, points: 0, mime: ["application/vnd.plotly.v1+json", "text/plain"] });
    const updates = sent.slice(1);
    expect(updates.every((s) => s.update && s.id === plot.displayId)).toBe(true);
    // Each redraw is a pair: a placeholder of another MIME type (JupyterLab then builds a new
    // plotly renderer instead of calling renderModel on the drawn one, which ignores it), then the figure.
    expect(updates.length % 2).toBe(0);
    expect(updates.length / 2).toBe(plot.updates);
    for (let i = 0; i < updates.length; i += 2) {
      expect(updates[i].mime).toEqual(["text/html", "text/plain"]);
      expect(updates[i + 1].mime).toEqual(["application/vnd.plotly.v1+json", "text/plain"]);
    }
    expect(plot.updates).toBeLessThan(4); // 20 rows, a handful of redraws
    expect(sent[sent.length - 1]).toMatchObject({ points: 20, title: "uascan — 20 points, success" });
    expect(plot.figure().data[0]).toMatchObject({ name: "PD_USAXS" });
  });

  it("redraws less often as the figure grows (each redraw resends every point)", () => {
    const plot = new LivePlot({ title: "t", x: "x", series: ["y"], writer: null });
    expect(plot.intervalMs).toBe(250);
    plot.append(new Float64Array(20_000), { y: new Float64Array(20_000) });
    expect(plot.intervalMs).toBe(1000);
    plot.append(new Float64Array(200_000), { y: new Float64Array(200_000) });
    expect(plot.intervalMs).toBe(5000);
  });
});
