import { DomUtils, parseDocument } from "htmlparser2";

/**
 * A pain.001.001.03 file read back with an XML parser (the `sepa` package ships no schema): the
 * group header's and payment information's counts and control sums, and every transfer.
 */
export function readPain001(xml: string) {
  const doc = parseDocument(xml, { xmlMode: true });
  const one = (name: string, scope: Parameters<typeof DomUtils.findOne>[1] = doc.children) => {
    const el = DomUtils.findOne((e) => e.name === name, scope, true);
    if (!el) throw new Error(`no <${name}>`);
    return el;
  };
  const text = (name: string, scope?: Parameters<typeof DomUtils.findOne>[1]) =>
    DomUtils.textContent(one(name, scope)).trim();
  const root = one("Document");
  const header = one("GrpHdr");
  const infos = DomUtils.findAll((e) => e.name === "PmtInf", doc.children);
  const txs = DomUtils.findAll((e) => e.name === "CdtTrfTxInf", doc.children);
  return {
    namespace: root.attribs.xmlns,
    messageId: text("MsgId", header.children),
    count: Number(text("NbOfTxs", header.children)),
    controlSum: text("CtrlSum", header.children),
    paymentInfos: infos.map((i) => ({
      count: Number(text("NbOfTxs", i.children)),
      controlSum: text("CtrlSum", i.children),
      debtorIban: text("IBAN", one("DbtrAcct", i.children).children),
      debtorName: text("Nm", one("Dbtr", i.children).children),
    })),
    transfers: txs.map((t) => {
      const amount = one("InstdAmt", t.children);
      return {
        endToEndId: text("EndToEndId", t.children),
        amount: DomUtils.textContent(amount).trim(),
        currency: amount.attribs.Ccy,
        name: text("Nm", one("Cdtr", t.children).children),
        iban: text("IBAN", one("CdtrAcct", t.children).children),
        remittance: text("Ustrd", t.children),
      };
    }),
  };
}
