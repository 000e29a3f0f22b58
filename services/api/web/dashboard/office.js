// "Data kantor": the office's registers and the Renstra, outside any event. Tabs: TAGANA (admin, posko),
// Kegiatan kesiapsiagaan and Renstra (admin, posko, pengamat; an admin types in the manual Renstra rows).

import { Kegiatan } from "./kegiatan.js";
import { RenstraView } from "./renstra.js";
import { Tagana } from "./tagana.js";

const $ = (id) => document.getElementById(id);

export class Office {
  constructor({ toast }) {
    this.role = null;
    this.tab = "renstra";
    this.renstra = new RenstraView($("office-renstra"), { toast });
    const onChanged = () => { this.renstraStale = true; };
    this.tagana = new Tagana($("office-tagana"), { toast, onChanged });
    this.kegiatan = new Kegiatan($("office-kegiatan"), { toast, onChanged });
    this.renstraStale = true;
  }

  static allowed(role) { return role === "admin" || role === "posko" || role === "pengamat"; }

  bind() {
    $("office-tabs").addEventListener("click", (ev) => {
      const b = ev.target.closest("[data-office-tab]");
      if (b && !b.hidden) this.show(b.dataset.officeTab);
    });
    this.tagana.bind();
    this.kegiatan.bind();
    this.renstra.bind();
  }

  open(role) {
    this.role = role;
    const operator = role === "admin" || role === "posko";
    document.querySelector("[data-office-tab='tagana']").hidden = !operator;
    if (!operator && this.tab === "tagana") this.tab = "renstra";
    this.renstra.editable = role === "admin"; // PUT /reports/renstra/manual and /targets are admin only
    this.renstraStale = true;
    this.show(this.tab);
  }

  show(tab) {
    this.tab = tab;
    for (const b of document.querySelectorAll("[data-office-tab]")) b.setAttribute("aria-selected", String(b.dataset.officeTab === tab));
    for (const name of ["tagana", "kegiatan", "renstra"]) $(`office-${name}`).hidden = name !== tab;
    if (tab === "tagana") this.tagana.open();
    if (tab === "kegiatan") this.kegiatan.open(this.role === "admin" || this.role === "posko");
    if (tab === "renstra" && this.renstraStale) { this.renstraStale = false; this.renstra.open(); }
  }
}
